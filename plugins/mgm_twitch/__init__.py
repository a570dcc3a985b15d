"""Real Twitch backends, registered as ``mgm`` plugins like any third party's.

* :mod:`mgm_twitch.badges` — chat subscriber check from EventSub badges;
* :mod:`mgm_twitch.helix_subscriptions` — claim subscriber check through Helix;
* :mod:`mgm_twitch.helix_chat` — the reward-sent announcement in Twitch chat;
* :mod:`mgm_twitch.eventsub_admin` — ``mgm twitch subscribe|list|unsubscribe``.
"""
