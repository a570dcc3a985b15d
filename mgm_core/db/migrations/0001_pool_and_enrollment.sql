-- The pool, chat dedupe, claim idempotency, payouts and their event history.

-- One row: the pool's size, locked by every pool mutation so that slots stay
-- dense (0 .. size-1) and a uniform draw is one index lookup.
CREATE TABLE pool_state (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    size      integer NOT NULL DEFAULT 0 CHECK (size >= 0)
);
INSERT INTO pool_state (singleton, size) VALUES (true, 0);

CREATE TABLE pool_entries (
    twitch_user_id      text PRIMARY KEY,
    twitch_display_name text NOT NULL,
    character_name      text NOT NULL,
    -- case-folded name: WoW names are case-insensitive, the name is stored as typed
    character_name_key  text NOT NULL UNIQUE,
    slot                integer NOT NULL UNIQUE CHECK (slot >= 0),
    source              text NOT NULL CHECK (source IN ('chat', 'claim')),
    enrolled_at         timestamptz NOT NULL
);

-- Chat deliveries already handled, keyed by either id Twitch gives us.
CREATE TABLE chat_deliveries_seen (
    kind    text NOT NULL CHECK (kind IN ('delivery', 'message')),
    id      text NOT NULL,
    seen_at timestamptz NOT NULL,
    PRIMARY KEY (kind, id)
);

CREATE TABLE eventsub_revocations (
    id              bigserial PRIMARY KEY,
    subscription_id text,
    type            text,
    status          text,
    received_at     timestamptz NOT NULL
);

CREATE TABLE enrollment_requests (
    enrollment_request_id text PRIMARY KEY,
    twitch_user_id        text NOT NULL,
    twitch_display_name   text NOT NULL,
    character_name        text NOT NULL,
    created_at            timestamptz NOT NULL
);

CREATE TABLE payouts (
    id                               uuid PRIMARY KEY,
    twitch_user_id                   text NOT NULL,
    twitch_display_name              text NOT NULL,
    character_name                   text NOT NULL,
    gold_amount                      integer NOT NULL CHECK (gold_amount > 0),
    enrollment_request_id            text NOT NULL,
    status                           text NOT NULL
        CHECK (status IN ('Pending', 'InProgress', 'Sent', 'Failed', 'Cancelled', 'Expired')),
    spin_cycle_id                    uuid,
    created_at                       timestamptz NOT NULL,
    updated_at                       timestamptz NOT NULL,
    winner_accepted_at               timestamptz,
    is_reward_sent_announced_to_chat boolean NOT NULL DEFAULT false
);
-- At most one active payout per viewer, enforced by the database itself.
CREATE UNIQUE INDEX payouts_one_active_per_viewer
    ON payouts (twitch_user_id) WHERE status IN ('Pending', 'InProgress');
CREATE INDEX payouts_by_viewer ON payouts (twitch_user_id, created_at DESC);
CREATE INDEX payouts_by_status ON payouts (status, created_at);

-- Append-only: rows are inserted in the same transaction as the state they describe.
CREATE TABLE payout_events (
    id          bigserial PRIMARY KEY,
    payout_id   uuid NOT NULL REFERENCES payouts (id),
    type        text NOT NULL,
    from_status text,
    to_status   text,
    data        jsonb NOT NULL DEFAULT '{}'::jsonb,
    occurred_at timestamptz NOT NULL
);
CREATE INDEX payout_events_by_payout ON payout_events (payout_id, id);
