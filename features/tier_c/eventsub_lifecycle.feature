@tier_c
Feature: Tier C — the EBS's EventSub subscription lifecycle (mgm twitch subscribe | list | unsubscribe)
  Creating the webhook subscription makes Twitch send its verification
  challenge to the deployed EBS; the subscription is enabled only when the EBS
  answered it. The operator's commands are the ones under test.

  Scenario: Subscribe, see it enabled, unsubscribe
    When the operator runs "mgm twitch subscribe"
    Then "mgm twitch list" shows that subscription "enabled" within 30 seconds
    When the operator runs "mgm twitch unsubscribe" for that subscription
    Then "mgm twitch list" no longer shows that subscription
