@tier_b
Feature: The Desktop offline, the EBS offline (SC-010, SC-017)

  Background:
    Given the EBS announces rewards through the Helix mock
    And the EBS is running
    And the Desktop stand-in is running

  # The addon remembers one pending acceptance at a time (contract §11.16), so
  # this scenario does not assert which of the two replies is recorded.
  @SC-010 @TC-009 @TC-010
  Scenario: Payouts wait while the Desktop is away, then it drains the queue oldest first
    Given viewer "1" has won a Pending payout for "Alpha"
    And viewer "2" has won a Pending payout for "Bravo"
    And "Alpha" will answer the winner whisper with "!twgold"
    And "Bravo" will answer the winner whisper with "!TWGOLD "
    When the clock advances 3 hours
    Then the payout of "Alpha" is "Pending"
    And the pending queue lists "Alpha, Bravo" in that order
    When the Desktop bridge polls pending payouts
    And the Desktop bridge reads the chat log
    Then "Alpha" was whispered first:
      """
      Поздравляю, ты победил в розыгрыше! Дай мне своё согласие на получение награды - ответь на это сообщение одной фразой: !twgold
      """
    And "Bravo" was whispered first:
      """
      Поздравляю, ты победил в розыгрыше! Дай мне своё согласие на получение награды - ответь на это сообщение одной фразой: !twgold
      """
    When the streamer syncs the Desktop
    Then the payout of "Alpha" is "InProgress"
    And the payout of "Bravo" is "InProgress"
    And the game received a ReceiveGold line paying "Alpha" 10000000 copper
    And the game received a ReceiveGold line paying "Bravo" 10000000 copper

  @SC-017 @TC-022
  Scenario: The EBS goes down before the confirm tag is read; the bridge replays it when it returns
    Given "Norinn" is online in WoW
    And "Norinn" will answer the winner whisper with "!twgold"
    And viewer "90001337" wrote "!twgold Norinn" in chat with a subscriber badge
    When the clock reaches 240 seconds into the cycle
    And the Desktop bridge polls the roulette candidate
    And the Desktop bridge reads the chat log
    And the Desktop bridge polls pending payouts
    And the Desktop bridge reads the chat log
    And the streamer syncs the Desktop
    Then the payout of "Norinn" is "InProgress"
    When the EBS goes down
    And the streamer sends the mail for "Norinn"
    And the Desktop bridge reads the chat log
    And the Desktop bridge restarts
    And the EBS comes back
    Then the payout of "Norinn" is "InProgress"
    When the Desktop bridge reads the chat log
    Then the payout of "Norinn" is "Sent"
    And the Helix mock received 1 chat message
