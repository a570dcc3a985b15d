-- Enrollment no longer takes the pool lock (decisions.md "Performance").
--
-- A new pool row is inserted with slot NULL ("unslotted"); the draw and the
-- scheduler tick give unslotted rows dense slots size .. size+k-1 under the
-- pool_state lock, so at draw time every committed row has a slot in
-- 0 .. size-1 and the draw stays one random slot and one index lookup.
-- pool_state.size counts slotted rows only; the pool's participant count is
-- size + the unslotted rows (read through the partial index below).
ALTER TABLE pool_entries ALTER COLUMN slot DROP NOT NULL;
CREATE INDEX pool_entries_unslotted ON pool_entries (enrolled_at, twitch_user_id) WHERE slot IS NULL;
