@tier_a
Feature: Enrollment through the Extension claim (TC-011, TC-013)
  The Extension posts POST /api/payouts/claim with the viewer's JWT; the same
  enrollmentRequestId is idempotent and name rules are the chat's.

  Background:
    Given the EBS is running

  @TC-011
  Scenario Outline: A badly formed character name is refused
    When viewer "1" claims "<name>"
    Then the response status is 400
    And the error code is "invalid_character_name"
    And viewer "1" is not enrolled

    Examples:
      | name          |
      | Bad:Name      |
      | 1bad          |
      | A             |
      | Abcdefghijklm |
      | Two Words     |

  @TC-011
  Scenario: The same bad name through chat is ignored silently
    When viewer "1" writes "!twgold Bad:Name" in chat with a subscriber badge
    Then the response status is 204
    And viewer "1" is not enrolled

  @TC-013
  Scenario: A replayed enrollmentRequestId is idempotent
    When viewer "90001337" claims "Norinn" with enrollment id "550e8400-e29b-41d4-a716-446655440001"
    Then the response status is 201
    When viewer "90001337" claims "Norinn" with enrollment id "550e8400-e29b-41d4-a716-446655440001"
    Then the response status is 200
    And the last two answers carry enrollment id "550e8400-e29b-41d4-a716-446655440001" and name "Norinn"
    And the pool holds 1 entry

  @TC-013
  Scenario: A replay with another name still returns the stored enrollment
    Given viewer "1" claimed "Norinn" with enrollment id "rid-1"
    When viewer "1" claims "Othername" with enrollment id "rid-1"
    Then the response status is 200
    And the response field "characterName" is "Norinn"
    And viewer "1" is enrolled as "Norinn"

  @TC-013
  Scenario: Another viewer reusing the enrollmentRequestId is refused
    Given viewer "1" claimed "Norinn" with enrollment id "rid-1"
    When viewer "2" claims "Other" with enrollment id "rid-1"
    Then the response status is 409
    And the error code is "duplicate_enrollment"
    And viewer "2" is not enrolled

  Scenario: A name held by another viewer is refused
    Given viewer "1" claimed "Norinn"
    When viewer "2" claims "NORINN"
    Then the response status is 409
    And the error code is "character_name_taken_in_pool"

  Scenario: A viewer with an active payout cannot claim
    Given viewer "1" has won a Pending payout for "Norinn"
    When viewer "1" claims "Other"
    Then the response status is 409
    And the error code is "active_payout_exists"

  Scenario: Without the development bypass a claim needs a subscription
    Given the development subscriber bypass is off
    When viewer "1" claims "Norinn"
    Then the response status is 403
    And the error code is "not_subscriber"
    And viewer "1" is not enrolled
