@tier_a @minor
Feature: Rate limiting per Extension identity (TC-014, TC-021)
  Five requests per minute per JWT user id (configurable); the sixth gets 429
  with Retry-After. Other identities and EventSub are not affected.

  Background:
    Given the EBS is running

  @TC-021
  Scenario: One client under the limit is always served
    When viewer "90001337" calls "GET /api/roulette/state" 5 times
    Then every answer had status 200

  @TC-014
  Scenario: The sixth request within the minute is refused
    When viewer "90001337" calls "GET /api/roulette/state" 6 times
    Then the response status is 429
    And the error code is "rate_limited"
    And the answer carries a "Retry-After" header

  @TC-014
  Scenario: Another viewer is still served
    When viewer "90001337" calls "GET /api/roulette/state" 6 times
    And viewer "12345" calls "GET /api/pool/me" with a valid token
    Then the response status is 200

  @TC-014
  Scenario: The window reopens after a minute
    When viewer "90001337" calls "GET /api/roulette/state" 6 times
    And the clock advances 60 seconds
    And viewer "90001337" calls "GET /api/pool/me" with a valid token
    Then the response status is 200

  @TC-014
  Scenario: The limit is configurable
    Given the Extension rate limit is 2 requests per 60 seconds
    When viewer "90001337" calls "GET /api/roulette/state" 3 times
    Then the response status is 429

  @SC-016
  Scenario: Chat deliveries are never limited
    When viewer "1" writes "hello" in chat with a subscriber badge
    And viewer "1" writes "hello again" in chat with a subscriber badge
    And viewer "1" writes "still here" in chat with a subscriber badge
    And viewer "1" writes "and again" in chat with a subscriber badge
    And viewer "1" writes "five" in chat with a subscriber badge
    And viewer "1" writes "!twgold Norinn" in chat with a subscriber badge
    Then every answer had status 204
    And viewer "1" is enrolled as "Norinn"
