@tier_b @blocker
Feature: A subscriber wins the roulette and receives gold — the full chain (SC-001)
  Chat → spin (virtual clock) → /who in the WoW client → Pending → winner whisper →
  "!twgold" reply → acceptance → sync → ReceiveGold → mail → [MGM_CONFIRM] → Sent →
  exactly one Helix announcement → pool removal. The WoW client simulator writes a
  real WoWChatLog.txt; the Desktop bridge tails it and calls the EBS over HTTP.

  Background:
    Given the EBS announces rewards through the Helix mock
    And the EBS is running
    And the Desktop stand-in is running
    And "Norinn" is online in WoW
    And "Norinn" will answer the winner whisper with "!twgold"

  @SC-001 @TC-001
  Scenario: The natural path from chat to Sent
    When viewer "90001337" writes "!twgold Norinn" in chat with a subscriber badge
    And the clock reaches 240 seconds into the cycle
    And the Desktop bridge polls the roulette candidate
    And the Desktop bridge reads the chat log
    Then the chat log shows the /who report for "Norinn" as online
    And "Norinn" has a Pending payout of 1000 gold
    And viewer "90001337" sees their last payout as "Pending"
    When the Desktop bridge polls pending payouts
    And the Desktop bridge reads the chat log
    Then "Norinn" was whispered first:
      """
      Поздравляю, ты победил в розыгрыше! Дай мне своё согласие на получение награды - ответь на это сообщение одной фразой: !twgold
      """
    And the chat log shows the acceptance of "Norinn"
    When the streamer syncs the Desktop
    Then the payout of "Norinn" is "InProgress"
    And the game received a ReceiveGold line paying "Norinn" 10000000 copper
    When the streamer sends the mail for "Norinn"
    And the Desktop bridge reads the chat log
    Then the chat log shows the mail confirmation of "Norinn"
    And "Norinn" was whispered:
      """
      Награда отправлена тебе на почту, проверяй ящик!
      """
    And the payout of "Norinn" is "Sent"
    And viewer "90001337" sees their last payout as "Sent"
    And the Helix mock received 1 chat message
    And the Helix mock's last chat message was sent as the broadcaster and reads:
      """
      Награда отправлена персонажу Norinn на почту, проверяй ящик!
      """
    And the payout of "Norinn" is marked as announced in chat
    And viewer "90001337" is not enrolled

  @TC-002
  Scenario: The candidate is offline at /who: no winner this cycle
    Given viewer "7" wrote "!twgold Offlinebob" in chat with a subscriber badge
    When the clock reaches 240 seconds into the cycle
    And the Desktop bridge polls the roulette candidate
    And the Desktop bridge reads the chat log
    Then the chat log shows the /who report for "Offlinebob" as offline
    And viewer "7" has no payout
    And viewer "7" is enrolled as "Offlinebob"
    And no candidate is waiting

  Scenario: A winner who never answers leaves the payout Pending
    Given "Norinn" will not answer the winner whisper
    When viewer "90001337" writes "!twgold Norinn" in chat with a subscriber badge
    And the clock reaches 240 seconds into the cycle
    And the Desktop bridge polls the roulette candidate
    And the Desktop bridge reads the chat log
    And the Desktop bridge polls pending payouts
    And the Desktop bridge reads the chat log
    Then "Norinn" was whispered first:
      """
      Поздравляю, ты победил в розыгрыше! Дай мне своё согласие на получение награды - ответь на это сообщение одной фразой: !twgold
      """
    And the payout of "Norinn" is "Pending"
    And the Helix mock received 0 chat messages
