@tier_b
Feature: The mail step and the [MGM_CONFIRM] tag (SC-004, SC-015, SC-022)
  Only the addon's armed mail send prints [MGM_CONFIRM:<id>] and whispers the
  completion line; the Desktop turns that tag into PATCH Sent. No tag, no Sent.

  Background:
    Given the EBS announces rewards through the Helix mock
    And the EBS is running
    And the Desktop stand-in is running
    And "Norinn" is online in WoW
    And "Norinn" will answer the winner whisper with "!twgold"
    And viewer "90001337" wrote "!twgold Norinn" in chat with a subscriber badge
    When the clock reaches 240 seconds into the cycle
    And the Desktop bridge polls the roulette candidate
    And the Desktop bridge reads the chat log
    And the Desktop bridge polls pending payouts
    And the Desktop bridge reads the chat log
    And the streamer syncs the Desktop

  @TC-007 @SC-004
  Scenario: The confirm tag and the completion whisper come only after the armed send
    When the streamer mails 10000000 copper to "Norinn" by hand
    And the Desktop bridge reads the chat log
    Then the chat log has no mail confirmation for "Norinn"
    And "Norinn" was not whispered:
      """
      Награда отправлена тебе на почту, проверяй ящик!
      """
    And the payout of "Norinn" is "InProgress"
    When the streamer sends the mail for "Norinn"
    And the Desktop bridge reads the chat log
    Then the chat log shows the mail confirmation of "Norinn"
    And "Norinn" was whispered:
      """
      Награда отправлена тебе на почту, проверяй ящик!
      """
    And the payout of "Norinn" is "Sent"

  @TC-008 @SC-015
  Scenario: A blocked send leaves no confirm tag
    Given the next mail send fails
    When the streamer sends the mail for "Norinn"
    And the Desktop bridge reads the chat log
    Then the chat log has no mail confirmation for "Norinn"
    And the payout of "Norinn" is "InProgress"
    And the Helix mock received 0 chat messages

  @TC-018
  Scenario: With the mailbox closed nothing is sent and nothing becomes Sent
    Given the mailbox is closed
    When the streamer sends the mail for "Norinn"
    And the Desktop bridge reads the chat log
    Then the chat log has no mail confirmation at all
    And the payout of "Norinn" is "InProgress"

  @TC-019 @TC-012
  Scenario: After a mail error the streamer marks the payout Failed
    Given the next mail send fails
    When the streamer sends the mail for "Norinn"
    And the Desktop bridge reads the chat log
    And the streamer marks the payout of "Norinn" as "Failed" in the Desktop
    Then the payout of "Norinn" is "Failed"
    And viewer "90001337" sees their last payout as "Failed"
    And viewer "90001337" is enrolled as "Norinn"
    And the Helix mock received 0 chat messages

  @SC-022
  Scenario: The operator retries the same payout after a failed send
    Given the next mail send fails
    When the streamer sends the mail for "Norinn"
    And the streamer sends the mail for "Norinn"
    And the Desktop bridge reads the chat log
    Then the payout of "Norinn" is "Sent"
    And the Helix mock received 1 chat message

  @TC-029
  Scenario: A duplicate [MGM_CONFIRM] for a Sent payout changes nothing
    When the streamer sends the mail for "Norinn"
    And the Desktop bridge reads the chat log
    And the addon prints the confirm tag for "Norinn" again
    And the Desktop bridge restarts
    And the Desktop bridge reads the chat log
    Then the payout of "Norinn" is "Sent"
    And the payout of "Norinn" has 2 status changes recorded
    And the Helix mock received 1 chat message

  @TC-029
  Scenario: A Desktop that lost its state sends the confirm again and the EBS stays put
    When the streamer sends the mail for "Norinn"
    And the Desktop bridge reads the chat log
    And the Desktop bridge restarts with its state lost
    And the Desktop bridge reads the chat log
    Then the EBS accepted the mail confirmation of "Norinn" 2 times
    And the payout of "Norinn" is "Sent"
    And the payout of "Norinn" has 2 status changes recorded
    And the Helix mock received 1 chat message
