"""Real Twitch backends, registered as ``mgm`` plugins like any third party's.

* :mod:`mgm_twitch.badges` — chat subscriber check from EventSub badges;
* :mod:`mgm_twitch.helix_subscriptions` — claim subscriber check through Helix
  (the call itself: :mod:`mgm_twitch.broadcaster_subscriptions`);
* :mod:`mgm_twitch.helix_chat` — the reward-sent announcement in Twitch chat;
* :mod:`mgm_twitch.eventsub_admin` — ``mgm twitch subscribe|list|unsubscribe``;
* :mod:`mgm_twitch.recorder` — ``python -m mgm_twitch.recorder``: live answers as recordings.
"""
