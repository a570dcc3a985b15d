-- A claim is a lease: a claimed delivery whose lease ran out (its process died
-- mid-attempt) is taken again by a sweep. A channel that deduplicates on
-- delivery_id is redelivered; one that cannot is moved to 'uncertain' for an
-- operator (`mgm outbox list|redeliver|abandon`), who may also 'abandon' it.

ALTER TABLE notification_deliveries DROP CONSTRAINT notification_deliveries_status_check;
ALTER TABLE notification_deliveries ADD CONSTRAINT notification_deliveries_status_check
    CHECK (status IN ('pending', 'claimed', 'delivered', 'failed', 'skipped', 'uncertain', 'abandoned'));
ALTER TABLE notification_deliveries
    ADD COLUMN delivery_id  uuid NOT NULL DEFAULT gen_random_uuid(),
    ADD COLUMN lease_until  timestamptz,
    ADD COLUMN attempts     integer NOT NULL DEFAULT 0;
UPDATE notification_deliveries SET lease_until = claimed_at, attempts = 1 WHERE status = 'claimed';
CREATE INDEX notification_deliveries_leased ON notification_deliveries (lease_until) WHERE status = 'claimed';
