-- +goose Up
-- A party that signs its moves (docs/commitments.md): "KEY SIG", both
-- base64, or empty.
ALTER TABLE session_moves ADD COLUMN sig TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE session_moves DROP COLUMN sig;
