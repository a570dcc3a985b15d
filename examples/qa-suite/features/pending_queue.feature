@tier_a
Feature: The Desktop's view of the payouts

  Scenario: A fresh EBS has no pending payouts
    Given the EBS is running
    When the Desktop calls "GET /api/payouts/pending" with the API key
    Then the response status is 200

  Scenario: A claim without a token is refused
    When someone calls "POST /api/payouts/claim" without a token
    Then the response status is 401
    And the error code is "unauthorized"
