package credentials

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
)

// IAMAPI is the part of the IAM client Rotate calls.
type IAMAPI interface {
	CreateAccessKey(ctx context.Context, in *iam.CreateAccessKeyInput, optFns ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error)
	DeleteAccessKey(ctx context.Context, in *iam.DeleteAccessKeyInput, optFns ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error)
	ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, optFns ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
}

// Rotation is what Rotate did.
type Rotation struct {
	// OldAccessKeyID and NewAccessKeyID name the key replaced and its
	// replacement. Both are empty when Rotate only finished a rotation an
	// earlier run left unfinished (Resumed.Completed).
	OldAccessKeyID, NewAccessKeyID string
	// Resumed says how Rotate first settled a rotation an earlier run left
	// unfinished; nil when there was none.
	Resumed *Resumed
}

// Resumed is how Rotate settled a rotation an earlier run left unfinished.
type Resumed struct {
	Kept    string   // the access key ID stored, and signing, afterwards
	Deleted []string // access key IDs deleted from IAM
	// Completed: the earlier rotation's new key was kept, so that rotation
	// is done and Rotate made no other. Otherwise the key stored before it
	// was kept and Rotate went on to rotate it.
	Completed bool
}

// rotateVerifyFor bounds how long a new key is tried before the old one is
// deleted: AWS takes a few seconds before a new key signs.
const rotateVerifyFor = 30 * time.Second

// rotator is the state of one Rotate.
type rotator struct {
	r       *Resolver
	p       *awsconfig.Profile
	profile string
	o       Options
	st      *retrieval
	mfa     IAMAPI // the client signed with an MFA session, made once
}

// Rotate replaces the long-term key of an IAM user profile. The key stored
// when it begins is first kept aside in a backup item (with the access key
// IDs IAM then holds); then a new key is created in IAM, stored, read back,
// proven to sign, and only then is the old key deleted from IAM and the
// backup dropped. Every decision rests on what the keyring reads back, not
// on the error of a write: a write that timed out may still land, so after
// one nothing is deleted. When a step fails the error says which key is
// where; a later Rotate finds the backup and finishes or undoes the
// unfinished rotation before anything else — or, when what it finds does
// not say which key to keep, names every key and deletes none. With
// mfa_serial the IAM calls are signed with an MFA session, as IAM requires
// of session credentials. One Rotate of a profile runs at a time, across
// processes: another one fails at once, naming the process that rotates.
func (r *Resolver) Rotate(ctx context.Context, profile string) (Rotation, error) {
	p, err := r.Config.Profile(profile)
	if err != nil {
		return Rotation{}, err
	}
	if p.Kind() != awsconfig.KindUser {
		return Rotation{}, fmt.Errorf("profile %q is a %s profile; only IAM user profiles have a key to rotate", profile, p.Kind())
	}
	unlock, err := lockRotation(profile)
	if err != nil {
		return Rotation{}, err
	}
	defer unlock()
	x := &rotator{r: r, p: p, profile: profile, o: r.opts(), st: &retrieval{target: profile, mfa: p.MFASerial, req: Request{Profile: profile}}}
	var rot Rotation
	b, err := readBackup(r.Store, profile)
	switch {
	case errors.Is(err, errNoBackup):
	case errors.Is(err, keystore.ErrTimeout):
		return rot, fmt.Errorf("looking for an unfinished rotation of profile %q: %w", profile, err)
	default:
		var bp *rotationBackup
		if err == nil {
			bp = &b
		}
		res, err := x.resume(ctx, bp, err)
		if err != nil {
			return rot, err
		}
		rot.Resumed = &res
		if res.Completed {
			return rot, nil
		}
	}
	return x.rotate(ctx, rot)
}

// lockRotation takes the per-user lock of profile's rotations, so that two
// `rotate` runs never interleave: each decides from what the keyring and
// IAM hold, which the other would be changing underneath it. A second run
// does not wait for the first — it would rotate the fresh key again — but
// says which process holds the lock.
func lockRotation(profile string) (unlock func(), err error) {
	sum := sha256.Sum256([]byte(profile)) // any profile name, a safe file name
	unlock, err = keystore.LockPrivate("rotate-"+hex.EncodeToString(sum[:8]), 0)
	var held *keystore.HeldError
	switch {
	case errors.As(err, &held) && held.PID > 0:
		return nil, fmt.Errorf("a rotation of profile %q is already running (pid %d); nothing was changed", profile, held.PID)
	case errors.As(err, &held):
		return nil, fmt.Errorf("a rotation of profile %q is already running in another process; nothing was changed", profile)
	case err != nil:
		return nil, fmt.Errorf("locking the rotation of profile %q: %w", profile, err)
	}
	return unlock, nil
}

// rotate makes a new key for the stored one; no backup item exists.
func (x *rotator) rotate(ctx context.Context, rot Rotation) (Rotation, error) {
	s := x.r.Store
	old, oldCreated, err := readKeyCreated(s, x.profile)
	if err != nil {
		return rot, err
	}
	client, err := x.iamFor(ctx, old)
	if err != nil {
		return rot, err
	}
	before, err := x.listKeys(ctx, client)
	if err != nil {
		return rot, err
	}
	if !slices.Contains(before, old.AccessKeyID) {
		return rot, fmt.Errorf("the stored key %s is not among the user's access keys in IAM (%s); nothing was changed", mask(old.AccessKeyID), maskAll(before))
	}
	if others := without(before, old.AccessKeyID); len(others) > 0 {
		return rot, fmt.Errorf("IAM holds another access key of this user, %s, besides the stored key %s; IAM allows two keys per user and rotate needs a free slot: delete the key not in use in IAM first", maskAll(others), mask(old.AccessKeyID))
	}

	// Kept aside before IAM changes, so that every later state holds a
	// working key in the keyring and says which IAM keys the rotation made.
	if err := writeBackup(s, x.profile, rotationBackup{key: old, created: oldCreated, before: before}); err != nil {
		if b, rerr := readBackup(s, x.profile); rerr != nil || !sameKey(b.key, old) {
			return rot, fmt.Errorf("%v; nothing was changed", err)
		}
	}

	cctx, cancel := context.WithTimeout(ctx, x.o.Timeout)
	out, err := client.CreateAccessKey(cctx, &iam.CreateAccessKeyInput{})
	cancel()
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			// IAM refused: it made no key. The backup equals the stored key.
			_ = removeBackup(s, x.profile)
			return rot, fmt.Errorf("creating a new access key: %w", describeAWSError(err, x.o.Timeout))
		}
		return rot, fmt.Errorf("creating a new access key: %w; IAM may have made one: run awstray rotate %s again to clean up", describeAWSError(err, x.o.Timeout), x.profile)
	}
	if out.AccessKey == nil || out.AccessKey.AccessKeyId == nil || out.AccessKey.SecretAccessKey == nil {
		return rot, fmt.Errorf("creating a new access key: IAM answered without a key; run awstray rotate %s again to clean up", x.profile)
	}
	rot.OldAccessKeyID, rot.NewAccessKeyID = old.AccessKeyID, *out.AccessKey.AccessKeyId
	fresh := Credentials{AccessKeyID: rot.NewAccessKeyID, SecretAccessKey: NewSecret(*out.AccessKey.SecretAccessKey)}
	created := x.r.now()
	if out.AccessKey.CreateDate != nil {
		created = *out.AccessKey.CreateDate // IAM's clock, not this machine's
	}

	serr := ValidateKey(fresh.AccessKeyID, fresh.SecretAccessKey)
	if serr == nil {
		serr = writeKey(s, x.profile, fresh, created)
	}
	got, gerr := readKey(s, x.profile)
	if errors.Is(serr, keystore.ErrTimeout) && !(gerr == nil && sameKey(got, fresh)) {
		// The store lets the next call in only once the write has
		// returned: this read waits for it a while longer.
		got, gerr = readKey(s, x.profile)
	}
	switch {
	case gerr == nil && sameKey(got, fresh):
		// Stored, whatever the write said.
	case serr != nil && !errors.Is(serr, keystore.ErrTimeout) && gerr == nil && sameKey(got, old):
		// The write failed and did not land: the new key is nowhere but in
		// memory, so withdraw it.
		if derr := x.deleteKey(ctx, client, fresh.AccessKeyID); derr != nil {
			return rot, fmt.Errorf("storing the new key failed (%v), and deleting it from IAM failed too (%v); the old key %s is still stored: run awstray rotate %s again to clean up", serr, derr, mask(old.AccessKeyID), x.profile)
		}
		_ = removeBackup(s, x.profile) // it equals the stored key
		return rot, fmt.Errorf("storing the new key failed (%v); it was deleted from IAM and the old key %s is still stored", serr, mask(old.AccessKeyID))
	default:
		// The write may still land (a keyring waiting for a person), or
		// landed torn: deleting either key could strand the keyring with
		// one IAM no longer knows.
		why := serr
		if why == nil {
			why = gerr
		}
		if why == nil {
			why = fmt.Errorf("the keyring holds the key %s", mask(got.AccessKeyID))
		}
		return rot, fmt.Errorf("storing the new key %s did not finish (%v); both keys are in IAM and the old key %s is kept aside in the keyring: run awstray rotate %s again to finish", mask(fresh.AccessKeyID), why, mask(old.AccessKeyID), x.profile)
	}

	if err := x.r.verifyKey(ctx, x.p, fresh); err != nil {
		return rot, fmt.Errorf("the new key %s is stored but does not sign yet (%v); the old key %s is kept in IAM and aside in the keyring: run awstray rotate %s again to finish", mask(fresh.AccessKeyID), err, mask(old.AccessKeyID), x.profile)
	}
	if x.p.MFASerial == "" {
		client = x.r.iamClient(x.p, fresh) // the old key is about to go
	}
	if err := x.deleteKey(ctx, client, old.AccessKeyID); err != nil {
		return rot, fmt.Errorf("the new key %s is stored and works, but deleting the old key %s failed (%v); run awstray rotate %s again to finish", mask(fresh.AccessKeyID), mask(old.AccessKeyID), err, x.profile)
	}
	if err := x.finish(); err != nil {
		return rot, fmt.Errorf("rotated the key of profile %q (%s replaced by %s), but %w", x.profile, mask(old.AccessKeyID), mask(fresh.AccessKeyID), err)
	}
	return rot, nil
}

// finish drops the sessions the old key made and then the backup item.
func (x *rotator) finish() error {
	_, cerr := ClearSessions(x.r.Store, x.profile)
	berr := removeBackup(x.r.Store, x.profile)
	switch {
	case cerr != nil:
		return fmt.Errorf("its cached sessions were not dropped (%v): run awstray clear %s", cerr, x.profile)
	case berr != nil:
		return fmt.Errorf("%v: run awstray rotate %s again to drop it", berr, x.profile)
	}
	return nil
}

// resume settles a rotation an earlier run left unfinished. b is its
// backup item, nil when unreadable (backupErr says why). It keeps whichever
// key is stored (or kept aside) and signs, deletes from IAM the old key and
// the keys the rotation made and no item holds, never one that was there
// before the rotation and is not the old key, and drops the backup — or,
// when the keyring and IAM do not say which key to keep, deletes nothing
// and names every key.
func (x *rotator) resume(ctx context.Context, b *rotationBackup, backupErr error) (Resumed, error) {
	s := x.r.Store
	v := verdict{profile: x.profile, backup: b, backupErr: backupErr}
	v.stored, v.storedErr = readKey(s, x.profile)
	if errors.Is(v.storedErr, keystore.ErrTimeout) {
		return Resumed{}, fmt.Errorf("finishing an unfinished rotation of profile %q: %w", x.profile, v.storedErr)
	}
	if v.storedErr == nil {
		ok, err := x.probe(ctx, v.stored)
		if err != nil {
			return Resumed{}, fmt.Errorf("finishing an unfinished rotation of profile %q: checking the stored key %s: %w; nothing was changed", x.profile, mask(v.stored.AccessKeyID), err)
		}
		v.storedSigns = ok
	}
	if !v.storedSigns && b != nil {
		ok, err := x.probe(ctx, b.key)
		if err != nil {
			return Resumed{}, fmt.Errorf("finishing an unfinished rotation of profile %q: checking the previous key %s: %w; nothing was changed", x.profile, mask(b.key.AccessKeyID), err)
		}
		v.backupSigns = ok
	}
	signer := v.stored
	switch {
	case v.storedSigns:
	case v.backupSigns:
		signer = b.key
	default:
		return Resumed{}, v.undecided()
	}
	client, err := x.iamFor(ctx, signer)
	if err != nil {
		return Resumed{}, err
	}
	if v.ids, err = x.listKeys(ctx, client); err != nil {
		return Resumed{}, err
	}
	v.listed = true
	if !v.storedSigns && v.storedErr == nil && slices.Contains(v.ids, v.stored.AccessKeyID) {
		// IAM knows the stored key: it may be seconds old and not sign yet.
		if x.r.verifyKey(ctx, x.p, v.stored) != nil {
			return Resumed{}, v.undecided()
		}
		v.storedSigns = true
		if client, err = x.iamFor(ctx, v.stored); err != nil {
			return Resumed{}, err
		}
	}

	if !v.storedSigns {
		// The stored key is missing, unreadable (a torn write) or unknown
		// to IAM; the backup signs: put it back.
		if err := writeKey(s, x.profile, b.key, b.created); err != nil {
			if got, rerr := readKey(s, x.profile); rerr != nil || !sameKey(got, b.key) {
				return Resumed{}, fmt.Errorf("finishing an unfinished rotation of profile %q: putting the previous key %s back: %v; nothing was deleted", x.profile, mask(b.key.AccessKeyID), err)
			}
		}
		res := Resumed{Kept: b.key.AccessKeyID}
		if err := x.deleteAll(ctx, client, made(v.ids, b.before, b.key.AccessKeyID), &res); err != nil {
			return res, err
		}
		if err := removeBackup(s, x.profile); err != nil {
			return res, fmt.Errorf("finishing an unfinished rotation: %w", err)
		}
		return res, nil
	}

	k := v.stored
	if !slices.Contains(v.ids, k.AccessKeyID) {
		return Resumed{}, v.undecided()
	}
	res := Resumed{Kept: k.AccessKeyID}
	switch {
	case b == nil:
		// Whatever the unreadable backup held, IAM has no key but the
		// stored one, so nothing that works is lost with it.
		if len(without(v.ids, k.AccessKeyID)) > 0 {
			return Resumed{}, v.undecided()
		}
	case sameKey(b.key, k):
		// Interrupted before the new key was stored: a key the rotation
		// made is stored nowhere and goes.
		if err := x.deleteAll(ctx, client, made(v.ids, b.before, k.AccessKeyID), &res); err != nil {
			return res, err
		}
	default:
		// The new key is stored and signs: the old one goes, as do keys
		// the rotation made and did not store. A key that was in IAM
		// before the rotation is never deleted unless it is the old key.
		if b.key.AccessKeyID != k.AccessKeyID && slices.Contains(b.before, k.AccessKeyID) && slices.Contains(v.ids, b.key.AccessKeyID) {
			return Resumed{}, v.undecided()
		}
		del := made(v.ids, b.before, k.AccessKeyID)
		if slices.Contains(v.ids, b.key.AccessKeyID) && b.key.AccessKeyID != k.AccessKeyID {
			del = append([]string{b.key.AccessKeyID}, del...)
		}
		if err := x.deleteAll(ctx, client, del, &res); err != nil {
			return res, err
		}
		res.Completed = !slices.Contains(b.before, k.AccessKeyID)
		if res.Completed {
			if err := x.finish(); err != nil {
				return res, fmt.Errorf("finished the unfinished rotation of profile %q (%s kept), but %w", x.profile, mask(k.AccessKeyID), err)
			}
			return res, nil
		}
	}
	if err := removeBackup(s, x.profile); err != nil {
		return res, fmt.Errorf("finishing an unfinished rotation: %w", err)
	}
	return res, nil
}

// deleteAll deletes ids from IAM, recording each in res.
func (x *rotator) deleteAll(ctx context.Context, client IAMAPI, ids []string, res *Resumed) error {
	for _, id := range ids {
		if err := x.deleteKey(ctx, client, id); err != nil {
			return fmt.Errorf("finishing an unfinished rotation of profile %q: deleting the key %s, which no item in the keyring needs, from IAM: %v; the key %s is stored: run awstray rotate %s again to finish", x.profile, mask(id), err, mask(res.Kept), x.profile)
		}
		res.Deleted = append(res.Deleted, id)
	}
	return nil
}

// verdict is what resume found, for the message that names every key when
// it cannot decide.
type verdict struct {
	profile     string
	stored      Credentials
	storedErr   error
	storedSigns bool
	backup      *rotationBackup
	backupErr   error
	backupSigns bool
	ids         []string
	listed      bool
}

func (v verdict) undecided() error {
	var stored, backup, inIAM string
	switch {
	case errors.Is(v.storedErr, ErrNoKey):
		stored = "none"
	case v.storedErr != nil:
		stored = "unreadable (" + v.storedErr.Error() + ")"
	case v.storedSigns:
		stored = mask(v.stored.AccessKeyID) + " (signs)"
	default:
		stored = mask(v.stored.AccessKeyID) + " (does not sign)"
	}
	switch {
	case v.backup == nil:
		backup = "unreadable (" + v.backupErr.Error() + ")"
	case v.backupSigns:
		backup = mask(v.backup.key.AccessKeyID) + " (signs)"
	case v.storedSigns:
		backup = mask(v.backup.key.AccessKeyID)
	default:
		backup = mask(v.backup.key.AccessKeyID) + " (does not sign)"
	}
	inIAM = "unknown (no key in the keyring signs)"
	if v.listed {
		inIAM = maskAll(v.ids)
	}
	return fmt.Errorf("an earlier rotate of profile %q did not finish, and which key to keep is not certain: stored key %s, previous key %s, keys in IAM %s; nothing was deleted: delete the key not in use in IAM (or store a working one with awstray add %s), then run awstray rotate %s again", v.profile, stored, backup, inIAM, v.profile, v.profile)
}

// iamFor returns an IAM client that signs with c, or with the MFA session
// when the profile has mfa_serial (IAM refuses session credentials made
// without MFA); the session is made from the stored key, once.
func (x *rotator) iamFor(ctx context.Context, c Credentials) (IAMAPI, error) {
	if x.p.MFASerial == "" {
		return x.r.iamClient(x.p, c), nil
	}
	if x.mfa == nil {
		sess, err := x.r.session(ctx, x.p, x.st)
		if err != nil {
			return nil, err
		}
		x.mfa = x.r.iamClient(x.p, sess)
	}
	return x.mfa, nil
}

// listKeys returns the access key IDs of the signing user.
func (x *rotator) listKeys(ctx context.Context, client IAMAPI) ([]string, error) {
	cctx, cancel := context.WithTimeout(ctx, x.o.Timeout)
	defer cancel()
	out, err := client.ListAccessKeys(cctx, &iam.ListAccessKeysInput{})
	if err != nil {
		return nil, fmt.Errorf("listing the user's access keys in IAM: %w", describeAWSError(err, x.o.Timeout))
	}
	var ids []string
	for _, k := range out.AccessKeyMetadata {
		if k.AccessKeyId != nil {
			ids = append(ids, *k.AccessKeyId)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

func (x *rotator) deleteKey(ctx context.Context, client IAMAPI, id string) error {
	cctx, cancel := context.WithTimeout(ctx, x.o.Timeout)
	defer cancel()
	if _, err := client.DeleteAccessKey(cctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(id)}); err != nil {
		return describeAWSError(err, x.o.Timeout)
	}
	return nil
}

// probe calls GetCallerIdentity once with c: true when it signs, false
// when AWS rejects the key, an error when the answer says neither (no
// network, a throttle).
func (x *rotator) probe(ctx context.Context, c Credentials) (bool, error) {
	cctx, cancel := context.WithTimeout(ctx, x.o.Timeout)
	defer cancel()
	_, err := x.r.identityClient(x.p, c).GetCallerIdentity(cctx, &sts.GetCallerIdentityInput{})
	if err == nil {
		return true, nil
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "AuthFailure":
			return false, nil
		}
	}
	return false, describeAWSError(err, x.o.Timeout)
}

// made returns the IDs in ids that were not in IAM before the rotation
// began, except keep: the keys the rotation created.
func made(ids, before []string, keep string) []string {
	var out []string
	for _, id := range ids {
		if id != keep && !slices.Contains(before, id) {
			out = append(out, id)
		}
	}
	return out
}

func without(ids []string, id string) []string {
	return slices.DeleteFunc(slices.Clone(ids), func(s string) bool { return s == id })
}

func sameKey(a, b Credentials) bool {
	return a.AccessKeyID == b.AccessKeyID && a.SecretAccessKey.Reveal() == b.SecretAccessKey.Reveal()
}

func mask(id string) string { return MaskAccessKeyID(id) }

func maskAll(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	m := make([]string, len(ids))
	for i, id := range ids {
		m[i] = mask(id)
	}
	return strings.Join(m, ", ")
}

// verifyKey calls GetCallerIdentity with c until it works or
// rotateVerifyFor passes.
func (r *Resolver) verifyKey(ctx context.Context, p *awsconfig.Profile, c Credentials) error {
	o := r.opts()
	client := r.identityClient(p, c)
	deadline := time.Now().Add(rotateVerifyFor)
	for {
		cctx, cancel := context.WithTimeout(ctx, o.Timeout)
		_, err := client.GetCallerIdentity(cctx, &sts.GetCallerIdentityInput{})
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return describeAWSError(err, o.Timeout)
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// identityClient is an STS client for GetCallerIdentity with c.
func (r *Resolver) identityClient(p *awsconfig.Profile, c Credentials) *sts.Client {
	region := awsconfig.Region(p, r.getenv)
	if region == "" {
		region = "us-east-1"
	}
	return NewSTSClient(region, r.Config.Endpoint(p, "sts", r.getenv), c, r.opts().Timeout)
}

func (r *Resolver) iamClient(p *awsconfig.Profile, c Credentials) IAMAPI {
	if r.NewIAM != nil {
		return r.NewIAM(c)
	}
	o := iam.Options{
		Region:      "us-east-1", // IAM is global; its endpoint signs in us-east-1
		Credentials: staticProvider(c),
		HTTPClient:  &http.Client{Timeout: r.opts().Timeout},
		Retryer:     retryerFor(r.opts().Timeout),
		APIOptions:  []func(*middleware.Stack) error{recordAttempts},
		// As for STS (NewSTSClient): a skewed clock is said, not hidden.
		DisableClockSkewCorrection: true,
	}
	if ep := r.Config.Endpoint(p, "iam", r.getenv); ep != "" {
		o.BaseEndpoint = aws.String(ep)
	}
	return iam.New(o)
}
