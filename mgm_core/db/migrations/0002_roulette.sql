-- Spin cycles: one row per UTC five-minute cycle that had anything to do.

CREATE TABLE spin_cycles (
    id                       uuid PRIMARY KEY,
    cycle_start              timestamptz NOT NULL UNIQUE,
    verification_deadline    timestamptz NOT NULL,
    drawn_at                 timestamptz,            -- set once: the draw ran (candidate or not)
    drawn_by                 text,                   -- which EBS instance ran it
    candidate_twitch_user_id text,
    candidate_display_name   text,
    candidate_character_name text,
    outcome                  text CHECK (outcome IN ('payout_created', 'offline')),
    payout_id                uuid REFERENCES payouts (id),
    closed_at                timestamptz,
    forced_by_harness        boolean NOT NULL DEFAULT false
);
CREATE INDEX spin_cycles_waiting ON spin_cycles (verification_deadline)
    WHERE candidate_twitch_user_id IS NOT NULL AND outcome IS NULL;

-- Cheap eligibility checks at draw time.
CREATE INDEX payouts_sent_by_viewer ON payouts (twitch_user_id) WHERE status = 'Sent';
CREATE INDEX chat_deliveries_seen_age ON chat_deliveries_seen (seen_at);
