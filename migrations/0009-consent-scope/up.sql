-- Schema 9: a consent belongs to the referral it was recorded for (42 CFR Part 2).
-- Until now consents were kept per guest and partner, so a consent given for a detox
-- referral showed, and could be used or revoked, on a housing referral the front desk made
-- to the same partner. From now on a consent is shown, used and revoked only on its own
-- referral, by the roles allowed to handle that referral.

ALTER TABLE consents ADD COLUMN referral_id INTEGER REFERENCES referrals (id);

-- Consents recorded before this version name no referral. Each goes to the referral of the
-- same guest and partner that it most likely belongs to, choosing the more private one when
-- in doubt: a referral that was sent under it, then a sensitive one, then one made before
-- the consent was recorded, then the newest. A housing referral that loses its consent this
-- way needs a new one before it is sent: the safe failure.
UPDATE consents SET referral_id = (
    SELECT r.id FROM referrals r
    JOIN referral_categories c ON c.category = r.category
    WHERE r.guest_id = consents.guest_id AND r.partner_id = consents.partner_id
    ORDER BY (r.consent_id IS consents.id) DESC, c.sensitive DESC,
             (r.made_at <= consents.recorded_at) DESC, r.id DESC
    LIMIT 1
);

CREATE INDEX consents_referral ON consents (referral_id, id);

-- Every new consent names its referral, and a consent never moves to another one.
CREATE TRIGGER consents_need_a_referral BEFORE INSERT ON consents
WHEN NEW.referral_id IS NULL
BEGIN
    SELECT RAISE(ABORT, 'a consent belongs to the referral it was recorded for');
END;

-- (The guest may change: merging duplicates moves referrals and their consents together.)
CREATE TRIGGER consents_stay_with_their_referral BEFORE UPDATE OF referral_id, partner_id ON consents
WHEN OLD.referral_id IS NOT NEW.referral_id OR OLD.partner_id IS NOT NEW.partner_id
BEGIN
    SELECT RAISE(ABORT, 'a consent belongs to the referral it was recorded for');
END;
