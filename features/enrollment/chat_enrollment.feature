@tier_a
Feature: Chat enrollment through EventSub (SC-005)
  A subscriber types "!twgold <CharacterName>" in the broadcast chat; Twitch delivers
  a signed channel.chat.message notification and the EBS keeps one pool row per viewer.
  Business refusals are silent: Twitch always gets a 2xx once the signature holds.

  Background:
    Given the EBS is running

  @SC-005
  Scenario: A subscriber's signed chat message enrolls them
    When viewer "90001337" writes "!twgold Norinn" in chat with a subscriber badge
    Then the response status is 204
    And viewer "90001337" is enrolled as "Norinn"
    And no payout exists

  @SC-005
  Scenario Outline: The command is trimmed and case-insensitive
    When viewer "1" writes "<text>" in chat with a subscriber badge
    Then viewer "1" is enrolled as "<name>"

    Examples:
      | text                 | name   |
      | !twgold Norinn       | Norinn |
      |   !TWGOLD   Xyzz     | Xyzz   |
      | !TwGoLd Артас        | Артас  |

  @SC-005
  Scenario Outline: Messages that are not a valid command are ignored with a 2xx
    When viewer "1" writes "<text>" in chat with a subscriber badge
    Then the response status is 204
    And viewer "1" is not enrolled

    Examples:
      | text                |
      | !twgold             |
      | !twgold Two Names   |
      | hello !twgold Alpha |
      | !twgold Bad:Name    |
      | !twgold A           |

  @SC-005
  Scenario Outline: Only channel subscribers are enrolled
    When viewer "1" writes "!twgold Norinn" in chat with badges "<badges>"
    Then the response status is 204
    And the pool holds <rows> entries

    Examples:
      | badges          | rows |
      | subscriber      | 1    |
      | founder         | 1    |
      | premium         | 0    |
      | vip,moderator   | 0    |

  @SC-005
  Scenario: A viewer without any badge is ignored
    When viewer "1" writes "!twgold Norinn" in chat without a badge
    Then the response status is 204
    And viewer "1" is not enrolled

  @SC-005
  Scenario: A bad signature is refused and changes nothing
    When viewer "1" writes "!twgold Norinn" in chat with a bad signature
    Then the response status is 403
    And the error code is "invalid_signature"
    And viewer "1" is not enrolled

  @SC-005
  Scenario: A message older than ten minutes is refused
    When viewer "1" writes "!twgold Norinn" in chat stamped 11 minutes ago
    Then the response status is 403
    And the error code is "stale_message"
    And viewer "1" is not enrolled

  @SC-005
  Scenario: Without a secret (local development) unsigned deliveries are accepted
    Given no EventSub secret is configured
    When viewer "5" writes "!twgold Norinn" in an unsigned chat delivery
    Then the response status is 204
    And viewer "5" is enrolled as "Norinn"

  @SC-005
  Scenario: The callback verification is answered with the raw challenge
    When Twitch verifies the callback with challenge "pogchamp-kappa-360noscope-vohiyo"
    Then the response status is 200
    And the answer is the plain text "pogchamp-kappa-360noscope-vohiyo"

  @SC-005
  Scenario: A second message replaces the viewer's row and frees the old name
    Given viewer "1" wrote "!twgold Alpha" in chat with a subscriber badge
    When viewer "1" writes "!twgold Beta" in chat with a subscriber badge
    And viewer "2" writes "!twgold alpha" in chat with a subscriber badge
    Then viewer "1" is enrolled as "Beta"
    And viewer "2" is enrolled as "alpha"
    And the pool holds 2 entries

  @SC-005
  Scenario: A name held by another viewer is refused whatever its letter case
    Given viewer "1" wrote "!twgold Norinn" in chat with a subscriber badge
    When viewer "2" writes "!twgold NORINN" in chat with a subscriber badge
    Then the response status is 204
    And viewer "2" is not enrolled
    And viewer "1" is enrolled as "Norinn"

  @SC-005
  Scenario: A replayed delivery changes nothing, even after a rename
    Given viewer "1" wrote "!twgold Alpha" in chat as message "m-alpha"
    And viewer "1" wrote "!twgold Beta" in chat as message "m-beta"
    When viewer "1" writes "!twgold Alpha" in chat as message "m-alpha"
    Then the response status is 204
    And viewer "1" is enrolled as "Beta"

  @SC-005
  Scenario: A viewer with an active payout cannot re-enroll
    Given viewer "1" has won a Pending payout for "Norinn"
    When viewer "1" writes "!twgold Other" in chat with a subscriber badge
    Then the response status is 204
    And viewer "1" is enrolled as "Norinn"
