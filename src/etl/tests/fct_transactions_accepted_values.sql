-- model: fct_transactions
-- severity: warn
-- Session type and status from the accepted lists (FIELD_DATA.md; the types
-- list is the server parameter `session_types` when set).
WITH types AS (
  SELECT coalesce(
    (SELECT array_agg(t) FROM nexus.parameters p, jsonb_array_elements_text(p.value) t
      WHERE p.key = 'session_types' AND jsonb_typeof(p.value) = 'array'),
    ARRAY['home_visit', 'clinic_visit', 'phone_call', 'therapy', 'assessment']) AS accepted
)
SELECT f.session_id, f.version, f.session_type, f.session_status
FROM warehouse.fact_transactions f, types
WHERE f.loaded_txid = pg_current_xact_id()
  AND ((f.session_type IS NOT NULL AND f.session_type <> ALL (types.accepted))
    OR (f.session_status IS NOT NULL AND f.session_status NOT IN ('planned', 'in_progress', 'completed', 'cancelled')));
