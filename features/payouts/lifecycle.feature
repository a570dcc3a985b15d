@tier_a @critical
Feature: Payout lifecycle (scenarios §4.3, TC-001 EBS part)
  Pending → InProgress → Sent, driven by the Desktop's PATCHes. Sent removes the
  winner from the pool in the same transaction; terminal statuses never change.

  Background:
    Given the EBS is running

  @TC-001 @SC-001
  Scenario: From chat to Sent through HTTP and the virtual clock only
    Given viewer "90001337" wrote "!twgold Norinn" in chat with a subscriber badge
    When the clock reaches 240 seconds into the cycle
    Then the Desktop sees candidate "Norinn"
    When the Desktop reports "Norinn" online
    Then "Norinn" has a Pending payout of 1000 gold
    When the Desktop confirms acceptance for "Norinn"
    Then the response status is 200
    When the Desktop moves the payout of "Norinn" to "InProgress"
    Then the response status is 200
    When the Desktop moves the payout of "Norinn" to "Sent"
    Then the response status is 200
    And viewer "90001337" sees their last payout as "Sent"
    And viewer "90001337" is not enrolled
    And the payout of "Norinn" has 2 status changes recorded

  Scenario: A winner may enroll again after Sent
    Given viewer "1" has won a Pending payout for "Norinn"
    And the Desktop moved the payout of "Norinn" to "InProgress"
    And the Desktop moved the payout of "Norinn" to "Sent"
    When viewer "1" writes "!twgold Norinn" in chat with a subscriber badge
    Then viewer "1" is enrolled as "Norinn"

  Scenario Outline: Allowed moves
    Given viewer "1" has won a Pending payout for "Norinn"
    And the Desktop moved the payout of "Norinn" to "<first>"
    When the Desktop moves the payout of "Norinn" to "<then>"
    Then the response status is 200
    And the payout of "Norinn" is "<then>"

    Examples:
      | first      | then       |
      | InProgress | Sent       |
      | InProgress | Failed     |
      | InProgress | Cancelled  |
      | InProgress | Pending    |
      | Failed     | Failed     |
      | Cancelled  | Cancelled  |

  Scenario Outline: Refused moves leave the payout as it was
    Given viewer "1" has won a Pending payout for "Norinn"
    And the Desktop moved the payout of "Norinn" to "<first>"
    When the Desktop moves the payout of "Norinn" to "<then>"
    Then the response status is 409
    And the error code is "<code>"
    And the payout of "Norinn" is "<first>"

    Examples:
      | first      | then       | code                               |
      | Pending    | Sent       | invalid_transition                 |
      | Pending    | Expired    | invalid_transition                 |
      | InProgress | Expired    | invalid_transition                 |
      | Failed     | Pending    | terminal_status_change_not_allowed |
      | Cancelled  | InProgress | terminal_status_change_not_allowed |

  @SC-021 @TC-026
  Scenario: The streamer cancels a Pending payout
    Given viewer "1" has won a Pending payout for "Norinn"
    When the Desktop moves the payout of "Norinn" to "Cancelled"
    Then the response status is 200
    And the payout of "Norinn" is "Cancelled"
    And viewer "1" is enrolled as "Norinn"
    And the payout of "Norinn" has 1 status changes recorded

  @TC-027
  Scenario: Cancelling a Sent payout is refused
    Given viewer "1" has won a Pending payout for "Norinn"
    And the Desktop moved the payout of "Norinn" to "InProgress"
    And the Desktop moved the payout of "Norinn" to "Sent"
    When the Desktop moves the payout of "Norinn" to "Cancelled"
    Then the response status is 409
    And the error code is "terminal_status_change_not_allowed"
    And the payout of "Norinn" is "Sent"

  @TC-029
  Scenario: Sent again is a harmless no-op
    Given viewer "1" has won a Pending payout for "Norinn"
    And the Desktop moved the payout of "Norinn" to "InProgress"
    And the Desktop moved the payout of "Norinn" to "Sent"
    When the Desktop moves the payout of "Norinn" to "Sent"
    Then the response status is 200
    And the payout of "Norinn" has 2 status changes recorded

  @TC-019
  Scenario: Failed after a mail error
    Given viewer "1" has won a Pending payout for "Norinn"
    And the Desktop moved the payout of "Norinn" to "InProgress"
    When the Desktop moves the payout of "Norinn" to "Failed"
    Then the response status is 200
    And viewer "1" sees their last payout as "Failed"
    And viewer "1" is enrolled as "Norinn"

  Scenario: Acceptance must name the payout's character
    Given viewer "1" has won a Pending payout for "Norinn"
    When the Desktop confirms acceptance for "Norinn" naming "Other"
    Then the response status is 400
    And the error code is "invalid_character_name"
    When the Desktop confirms acceptance for "Norinn"
    And the Desktop confirms acceptance for "Norinn"
    Then the response status is 200
    And the payout of "Norinn" is "Pending"

  Scenario: Acceptance on a terminal payout is refused
    Given viewer "1" has won a Pending payout for "Norinn"
    And the Desktop moved the payout of "Norinn" to "Cancelled"
    When the Desktop confirms acceptance for "Norinn"
    Then the response status is 409
    And the error code is "terminal_status_change_not_allowed"
