-- One delivery row per payout and notification channel, written in the same
-- transaction that moves the payout to Sent. A row is claimed (pending ->
-- claimed) by exactly one process before its channel is called, so it is
-- delivered at most once; rows left pending by a crash are swept at start-up.

CREATE TABLE notification_deliveries (
    payout_id    uuid NOT NULL REFERENCES payouts (id),
    channel      text NOT NULL,
    status       text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'claimed', 'delivered', 'failed', 'skipped')),
    created_at   timestamptz NOT NULL,
    claimed_at   timestamptz,
    claimed_by   text,
    finished_at  timestamptz,
    detail       text,
    PRIMARY KEY (payout_id, channel)
);
CREATE INDEX notification_deliveries_pending ON notification_deliveries (created_at) WHERE status = 'pending';
