"""``mgm report``: the HTML report (Allure 3) and ``signoff.md`` a release manager signs from.

* :mod:`.results` reads an Allure results folder (results, environment, executor);
* :mod:`.signoff` writes the Markdown summary: counts per tier, the catalog coverage
  matrix, failures with one-line reasons, the run context;
* :mod:`.html` renders the HTML with the Allure 3 command-line tool (``npx allure``);
* :mod:`.command` is the ``mgm report`` subcommand.
"""
