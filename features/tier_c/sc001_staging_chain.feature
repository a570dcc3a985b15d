@tier_c @slow
Feature: Tier C — SC-001 with the staging channel, the deployed EBS and the real game
  The test bot types in the staging channel; Twitch's EventSub delivers the
  line to the deployed EBS; the real WoW client, driven by the Desktop bridge's
  Windows injector, answers the spin's /who in its WoWChatLog.txt. The manual
  rows (the winner's whisper, the mail) stay in docs/tier-c-runbook.md.

  Background:
    Given the EBS's EventSub subscription is enabled
    And the staging channel's chat is watched through EventSub WebSocket

  @SC-001
  Scenario: A !twgold typed in the staging channel enrolls the test viewer in the deployed EBS
    When the test viewer writes "!twgold Tiercheck" in the staging channel's chat
    Then the staging channel's chat shows the test viewer's line within 10 seconds
    And the test viewer is enrolled as "Tiercheck" within 10 seconds

  @SC-001
  Scenario: The drawn test viewer is found online by /who in the real game and gets a Pending payout
    When the test viewer writes "!twgold Tiercheck" in the staging channel's chat
    Then the test viewer is enrolled as "Tiercheck" within 10 seconds
    And the Desktop sees candidate "Tiercheck" within 330 seconds
    When the Desktop asks the real game to /who the drawn candidate
    Then WoWChatLog.txt reports "Tiercheck" to the EBS within 30 seconds
    And "Tiercheck" has a Pending payout of 1000 gold
