@tier_a @critical
Feature: Who may call the EBS (SC-002, SC-014)
  The Desktop authenticates with the X-MGM-ApiKey header; the Extension with a
  Twitch Extension JWT (HS256). Every refusal is JSON with a stable code.

  Background:
    Given the EBS is running

  @TC-003
  Scenario: The Desktop's correct API key is accepted
    When the Desktop calls "GET /api/payouts/pending" with the API key
    Then the response status is 200

  @TC-004
  Scenario: A wrong API key is refused with 403
    When the Desktop calls "GET /api/payouts/pending" with the API key "wrong-key"
    Then the response status is 403
    And the error code is "forbidden_apikey"

  @SC-002
  Scenario: A missing API key is refused with 401
    When the Desktop calls "GET /api/payouts/pending" without the API key
    Then the response status is 401
    And the error code is "unauthorized"

  @TC-016
  Scenario: Claim without a Bearer token
    When someone calls "POST /api/payouts/claim" without a token
    Then the response status is 401
    And the error code is "unauthorized"
    And the pool holds 0 entries

  @TC-016
  Scenario Outline: Claim with a token that does not validate
    When someone calls "POST /api/payouts/claim" with the token "<token>"
    Then the response status is 401
    And the error code is "unauthorized"

    Examples:
      | token                                                                                  |
      | not-a-jwt                                                                              |
      | eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJ1c2VyX2lkIjoiMSIsImV4cCI6OTk5OTk5OTk5OX0.      |

  @TC-016
  Scenario: Claim with an expired token
    When someone calls "POST /api/payouts/claim" with an expired token
    Then the response status is 401
    And the error code is "unauthorized"

  @TC-017
  Scenario: A valid token reads the viewer's pool entry
    When viewer "90001337" calls "GET /api/pool/me" with a valid token
    Then the response status is 200
    And the response field "isEnrolled" is false

  @TC-017
  Scenario: A valid token reads the roulette state
    When viewer "90001337" calls "GET /api/roulette/state" with a valid token
    Then the response status is 200
    And the response field "spinIntervalSeconds" is 300

  @TC-017
  Scenario: A valid token claims and the pool shows the name
    When viewer "90001337" claims "Norinn" with enrollment id "550e8400-e29b-41d4-a716-446655440000"
    Then the response status is 201
    And viewer "90001337" is enrolled as "Norinn"
