"""The MimironsGoldOMatic test platform: what runs the Gherkin scenarios and reports on them."""
