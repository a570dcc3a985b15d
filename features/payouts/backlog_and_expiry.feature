@tier_a
Feature: Payouts wait while the Desktop is offline, and expire after 24 h (SC-010)

  Background:
    Given the EBS is running

  @TC-009
  Scenario: Pending survives until the sweep after 24 hours
    Given viewer "1" has won a Pending payout for "Norinn"
    When the clock advances 23 hours
    Then the payout of "Norinn" is "Pending"
    When the clock advances 2 hours
    Then the payout of "Norinn" is "Expired"
    And viewer "1" is enrolled as "Norinn"
    When the Desktop moves the payout of "Norinn" to "InProgress"
    Then the response status is 409
    And the error code is "terminal_status_change_not_allowed"

  @TC-009
  Scenario: InProgress expires too; Sent never does
    Given viewer "1" has won a Pending payout for "Alpha"
    And the Desktop moved the payout of "Alpha" to "InProgress"
    And viewer "2" has won a Pending payout for "Bravo"
    And the Desktop moved the payout of "Bravo" to "InProgress"
    And the Desktop moved the payout of "Bravo" to "Sent"
    When the clock advances 25 hours
    Then the payout of "Alpha" is "Expired"
    And the payout of "Bravo" is "Sent"

  @TC-010
  Scenario: The Desktop returns and drains the queue oldest first
    Given viewer "1" has won a Pending payout for "Alpha"
    And viewer "2" has won a Pending payout for "Bravo"
    And viewer "3" has won a Pending payout for "Charlie"
    When the Desktop calls "GET /api/payouts/pending" with the API key
    Then the response status is 200
    And the pending queue lists "Alpha, Bravo, Charlie" in that order
