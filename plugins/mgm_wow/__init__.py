"""The World of Warcraft side of Mimiron's Gold-o-Matic, in Python.

Three layers, each usable on its own:

* the wire formats the addon and the Desktop agree on: log tags
  (:mod:`mgm_wow.tags`), injected ``/run`` lines (:mod:`mgm_wow.run_lines`) and
  the chat-log line format (:mod:`mgm_wow.chatlog`) — plain functions, no I/O;
* a WoW 3.3.5a client simulator that plays the game client with our addon and
  writes a real ``WoWChatLog.txt`` (:mod:`mgm_wow.simulator`,
  :mod:`mgm_wow.simulator_app`), which also answers the seed WoWMock's routes;
* the Desktop's bridge between that log and the EBS (:mod:`mgm_wow.bridge`).
"""
