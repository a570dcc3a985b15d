@tier_c
Feature: Tier C — the reward-sent announcement reaches the staging channel's chat
  The deployed EBS posts the announcement through Helix Send Chat Message with
  the broadcaster's token; the test watches the channel through an EventSub
  WebSocket session and sees exactly that line from the broadcaster.

  Background:
    Given the EBS's EventSub subscription is enabled
    And the staging channel's chat is watched through EventSub WebSocket
    When the test viewer writes "!twgold Tiercheck" in the staging channel's chat
    Then the test viewer is enrolled as "Tiercheck" within 10 seconds

  @SC-001
  Scenario: Sent announces the reward in chat once
    Then the Desktop sees candidate "Tiercheck" within 330 seconds
    When the Desktop reports "Tiercheck" online
    And the Desktop moves the payout of "Tiercheck" to "InProgress"
    And the Desktop moves the payout of "Tiercheck" to "Sent"
    Then the staging channel's chat shows within 30 seconds:
      """
      Награда отправлена персонажу Tiercheck на почту, проверяй ящик!
      """
    And the payout of "Tiercheck" is marked as announced in chat
