@tier_b
Feature: The reward-sent announcement in Twitch chat (scenarios §4.5)
  When a payout moves to Sent the EBS posts exactly one Helix chat message,
  after the commit, at most once per payout; a failed announcement never
  undoes Sent. Helix is a real loopback mock that records every request.

  Background:
    Given the EBS announces rewards through the Helix mock
    And the EBS is running
    And viewer "90001337" has won a Pending payout for "Norinn"
    And the Desktop moved the payout of "Norinn" to "InProgress"

  @SC-001
  Scenario: Sent posts one message with the exact request
    When the Desktop moves the payout of "Norinn" to "Sent"
    Then the response status is 200
    And the response field "isRewardSentAnnouncedToChat" is true
    And the Helix mock received 1 chat message
    And the Helix mock's last chat message was sent as the broadcaster and reads:
      """
      Награда отправлена персонажу Norinn на почту, проверяй ящик!
      """

  Scenario: No message on any other transition
    When the Desktop moves the payout of "Norinn" to "Pending"
    And the Desktop moves the payout of "Norinn" to "Cancelled"
    Then the Helix mock received 0 chat messages

  @TC-029
  Scenario: A repeated Sent posts nothing more
    When the Desktop moves the payout of "Norinn" to "Sent"
    And the Desktop moves the payout of "Norinn" to "Sent"
    Then the response status is 200
    And the Helix mock received 1 chat message

  Scenario: Concurrent Sent requests post exactly once
    When the Desktop moves the payout of "Norinn" to "Sent" 20 times at once
    Then every answer had status 200
    And the Helix mock received 1 chat message
    And the payout of "Norinn" is marked as announced in chat

  Scenario: Two server errors, then the third attempt succeeds
    Given the Helix mock fails the next 2 chat messages with status 500
    When the Desktop moves the payout of "Norinn" to "Sent"
    Then the response status is 200
    And the Helix mock received 3 chat messages
    And the payout of "Norinn" is marked as announced in chat

  Scenario: Three attempts in total, then Sent stays and the flag stays false
    Given the Helix mock fails the next 5 chat messages with status 503
    When the Desktop moves the payout of "Norinn" to "Sent"
    Then the response status is 200
    And the Helix mock received 3 chat messages
    And the payout of "Norinn" is "Sent"
    And the payout of "Norinn" is not marked as announced in chat
    And viewer "90001337" is not enrolled

  Scenario: A dropped message (200 with is_sent false) is a failed attempt
    Given the Helix mock drops the next 1 chat messages as msg_duplicate
    When the Desktop moves the payout of "Norinn" to "Sent"
    Then the Helix mock received 2 chat messages
    And the payout of "Norinn" is marked as announced in chat

  Scenario: A bad token is not retried
    Given the Helix mock fails the next 3 chat messages with status 401
    When the Desktop moves the payout of "Norinn" to "Sent"
    Then the response status is 200
    And the Helix mock received 1 chat message
    And the payout of "Norinn" is not marked as announced in chat

  Scenario: A reset connection is retried
    Given the Helix mock resets the next connection
    When the Desktop moves the payout of "Norinn" to "Sent"
    Then the payout of "Norinn" is marked as announced in chat
