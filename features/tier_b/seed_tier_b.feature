@tier_b
Feature: The seed's Tier B path through the harness and SyntheticDesktop
  The seed's CI reaches Pending through the development harness and lets
  SyntheticDesktop play confirm-acceptance → InProgress → Sent; the Helix mock
  must then hold exactly one correct announcement and the winner leave the pool.

  Scenario: Harness, SyntheticDesktop run-sequence, one Helix message, pool removal
    Given the EBS announces rewards through the Helix mock
    And the EBS is running
    And SyntheticDesktop drives the EBS
    And viewer "e2e-viewer-1" wrote "!twgold Etoehero" in chat with a subscriber badge
    When the harness prepares a Pending payout for viewer "e2e-viewer-1"
    Then the response status is 200
    And "Etoehero" has a Pending payout of 1000 gold
    When SyntheticDesktop runs the sequence for "Etoehero"
    Then the response status is 200
    And the SyntheticDesktop run report is ok with three 2xx steps
    And the Helix mock received 1 chat message
    And the Helix mock's last chat message was sent as the broadcaster and reads:
      """
      Награда отправлена персонажу Etoehero на почту, проверяй ящик!
      """
    And the Helix mock's last-request shows the announcement:
      """
      Награда отправлена персонажу Etoehero на почту, проверяй ящик!
      """
    And viewer "e2e-viewer-1" is not enrolled
    And the payout of "Etoehero" is marked as announced in chat

  Scenario: A second run for the same payout stops at the first refusal
    Given the EBS announces rewards through the Helix mock
    And the EBS is running
    And SyntheticDesktop drives the EBS
    And viewer "e2e-viewer-1" wrote "!twgold Etoehero" in chat with a subscriber badge
    When the harness prepares a Pending payout for viewer "e2e-viewer-1"
    And SyntheticDesktop runs the sequence for "Etoehero"
    And SyntheticDesktop runs the sequence for "Etoehero"
    Then the response status is 502
    And the Helix mock received 1 chat message
