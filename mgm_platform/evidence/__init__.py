"""Allure evidence for every scenario result, gathered by the platform rather than by each step.

* :mod:`.redaction` masks secrets in headers, JSON bodies and free text;
* :mod:`.exchanges` journals every HTTP exchange the test clients make (an httpx event hook);
* :mod:`.scenario_evidence` collects the Helix journal, chat-log lines and EBS log lines of a scenario;
* :mod:`.labels` turns tags into Allure labels and catalog links;
* :mod:`.catalog` reads the SC/TC catalog ids;
* :mod:`.run_context` writes ``environment.properties``, ``executor.json`` and ``categories.json``;
* :mod:`.plugin` is the pytest plugin (entry point ``mgm_evidence``) that ties them together.
"""
