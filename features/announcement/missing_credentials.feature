@tier_b
Feature: Without broadcaster credentials the announcement is skipped (scenarios §4.5)

  Scenario: Sent succeeds, no Helix call, the flag stays false
    Given the broadcaster's Helix credentials are not configured
    And the EBS is running
    And viewer "1" has won a Pending payout for "Norinn"
    And the Desktop moved the payout of "Norinn" to "InProgress"
    When the Desktop moves the payout of "Norinn" to "Sent"
    Then the response status is 200
    And the Helix mock received 0 chat messages
    And the payout of "Norinn" is not marked as announced in chat
