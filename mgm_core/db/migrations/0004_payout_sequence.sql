-- Insertion order of payouts, to break ties between equal created_at values
-- (a frozen virtual clock, or two spins stamped in the same microsecond).
ALTER TABLE payouts ADD COLUMN seq bigserial;
CREATE INDEX payouts_by_viewer_seq ON payouts (twitch_user_id, created_at DESC, seq DESC);
