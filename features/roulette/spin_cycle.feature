@tier_a
Feature: The roulette cycle and the /who verification (scenarios §4.2)
  Every five minutes (UTC) the EBS draws one candidate among eligible pool rows at
  T0+240; the Desktop learns the candidate, runs /who in WoW and reports the result.
  The virtual clock moves time; nobody waits.

  Background:
    Given the EBS is running
    And the clock is 60 seconds into the cycle
    And viewer "90001337" wrote "!twgold Norinn" in chat with a subscriber badge

  Scenario: The phases of one cycle
    Then the roulette phase is "collecting"
    When the clock reaches 240 seconds into the cycle
    Then the roulette phase is "spinning"
    And the Desktop sees candidate "Norinn"
    When the clock reaches 270 seconds into the cycle
    Then the roulette phase is "verification"
    When the Desktop reports "Norinn" online
    Then the roulette phase is "completed"
    When the next cycle begins
    Then the roulette phase is "collecting"

  Scenario: Every entrant can be drawn
    The draw is uniform over eligible rows: with three entrants reported offline
    every cycle (they stay in the pool), each is drawn within 40 cycles unless the
    draw favours some row (a fair draw misses one with probability below 3e-7).
    Given viewer "101" wrote "!twgold Alpha" in chat with a subscriber badge
    And viewer "102" wrote "!twgold Bravo" in chat with a subscriber badge
    When 40 cycles draw a candidate that the Desktop reports offline
    Then every one of "Norinn", "Alpha", "Bravo" was drawn at least once
    And the pool holds 3 entries

  Scenario: No candidate before the draw
    When the clock reaches 239 seconds into the cycle
    Then no candidate is waiting

  @TC-001
  Scenario: An online report creates the Pending payout
    When the clock reaches 240 seconds into the cycle
    And the Desktop reports "Norinn" online
    Then the response status is 200
    And "Norinn" has a Pending payout of 1000 gold
    And viewer "90001337" sees their last payout as "Pending"
    And no candidate is waiting

  Scenario: The candidate's name matches whatever its letter case
    When the clock reaches 240 seconds into the cycle
    And the Desktop reports "NORINN" online
    Then the response status is 200
    And "Norinn" has a Pending payout of 1000 gold

  Scenario: A repeated report is answered idempotently
    When the clock reaches 240 seconds into the cycle
    And the Desktop reports "Norinn" online
    And the Desktop reports "Norinn" online
    Then the response status is 200
    And the response field "outcome" is "already_closed"
    And the pending queue lists "Norinn" in that order

  @TC-002
  Scenario: The candidate is offline: no winner this cycle and no re-draw
    When the clock reaches 240 seconds into the cycle
    And the Desktop reports "Norinn" offline
    Then the response status is 200
    And viewer "90001337" has no payout
    And viewer "90001337" is enrolled as "Norinn"
    And no candidate is waiting
    When the next cycle begins
    And the clock reaches 240 seconds into the cycle
    Then the Desktop sees candidate "Norinn"

  Scenario: A report 29 seconds after the closing boundary is still accepted
    When the clock reaches 240 seconds into the cycle
    Then the Desktop sees candidate "Norinn"
    When the clock is 29 seconds past the boundary that closes the cycle
    And the Desktop reports "Norinn" online
    Then the response status is 200
    And "Norinn" has a Pending payout of 1000 gold

  Scenario: A report 31 seconds after the closing boundary is refused
    When the clock reaches 240 seconds into the cycle
    Then the Desktop sees candidate "Norinn"
    When the clock is 31 seconds past the boundary that closes the cycle
    And the Desktop reports "Norinn" online
    Then the response status is 400
    And the error code is "out_of_sequence"
    And viewer "90001337" has no payout

  Scenario: A report for an unknown cycle is refused
    When the clock reaches 240 seconds into the cycle
    And the Desktop reports "Norinn" online for cycle "00000000-0000-0000-0000-000000000001"
    Then the response status is 400
    And the error code is "out_of_sequence"

  Scenario: A report naming someone else is refused
    When the clock reaches 240 seconds into the cycle
    And the Desktop reports "Somebody" online
    Then the response status is 400
    And the error code is "out_of_sequence"
    And viewer "90001337" has no payout

  Scenario: A report with a badly formed name is refused
    When the clock reaches 240 seconds into the cycle
    And the Desktop reports "1" online
    Then the response status is 400
    And the error code is "invalid_character_name"

  @TC-015
  Scenario: A viewer who already holds a payout is not drawn again
    Given viewer "90001337" has won a Pending payout for "Norinn"
    When the next cycle begins
    And the clock reaches 240 seconds into the cycle
    Then no candidate is waiting
    And the roulette phase is "idle"
