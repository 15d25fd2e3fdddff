package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	natsjwt "github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
)

const (
	testKey    = "plugnmeetTESTKEY"
	testSecret = "test-secret-of-forty-characters-0123456"
)

var testNow = time.Date(2026, 8, 20, 12, 0, 0, 0, time.UTC)

func accessToken(t *testing.T, secret string, mutate func(jwt.MapClaims)) string {
	t.Helper()
	claims := jwt.MapClaims{
		"iss":     testKey,
		"sub":     "rec-01",
		"nbf":     testNow.Add(-time.Second).Unix(),
		"exp":     testNow.Add(5 * time.Minute).Unix(),
		"name":    RecorderAuthName,
		"user_id": "rec-01",
	}
	if mutate != nil {
		mutate(claims)
	}
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func TestVerifyAccessToken(t *testing.T) {
	claims, err := VerifyAccessToken(testKey, testSecret, accessToken(t, testSecret, func(c jwt.MapClaims) {
		c["room_id"] = "room1"
		c["is_admin"] = true
	}), testNow)
	if err != nil {
		t.Fatalf("valid token refused: %v", err)
	}
	if claims.Name != RecorderAuthName || claims.UserId != "rec-01" || claims.RoomId != "room1" || !claims.IsAdmin {
		t.Fatalf("claims not read: %+v", claims)
	}
	// Without user_id in the claims, the subject is the user id.
	claims, err = VerifyAccessToken(testKey, testSecret, accessToken(t, testSecret, func(c jwt.MapClaims) {
		delete(c, "user_id")
	}), testNow)
	if err != nil || claims.UserId != "rec-01" {
		t.Fatalf("subject not used as user id: %v %+v", err, claims)
	}
}

func TestVerifyAccessTokenRefuses(t *testing.T) {
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims{"iss": testKey, "sub": "u"}).
		SignedString([]byte(testSecret))
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"iss": testKey, "sub": "u"}).
		SignedString(jwt.UnsafeAllowNoneSignatureType)
	cases := map[string]string{
		"empty":             "",
		"garbage":           "not.a.jwt",
		"wrong secret":      accessToken(t, "another-secret", nil),
		"wrong issuer":      accessToken(t, testSecret, func(c jwt.MapClaims) { c["iss"] = "someone-else" }),
		"no issuer":         accessToken(t, testSecret, func(c jwt.MapClaims) { delete(c, "iss") }),
		"expired":           accessToken(t, testSecret, func(c jwt.MapClaims) { c["exp"] = testNow.Add(-2 * time.Minute).Unix() }),
		"not yet valid":     accessToken(t, testSecret, func(c jwt.MapClaims) { c["nbf"] = testNow.Add(5 * time.Minute).Unix() }),
		"issued in future":  accessToken(t, testSecret, func(c jwt.MapClaims) { c["iat"] = testNow.Add(5 * time.Minute).Unix() }),
		"subject mismatch":  accessToken(t, testSecret, func(c jwt.MapClaims) { c["sub"] = "rec-02" }),
		"HS512":             hs512,
		"alg none":          none,
		"secret as api key": accessToken(t, testKey, nil),
	}
	for name, token := range cases {
		if _, err := VerifyAccessToken(testKey, testSecret, token, testNow); err == nil {
			t.Errorf("%s: token accepted", name)
		}
	}
	if _, err := VerifyAccessToken("", "", accessToken(t, "", nil), testNow); err == nil {
		t.Error("a server without API key/secret accepted a token")
	}
}

func testNats() NatsInfo {
	cfg := &Config{}
	cfg.applyDefaults()
	return cfg.NatsInfo
}

func TestRecorderPermissionsAreUpstreams(t *testing.T) {
	perms := RecorderPermissions(testNats().Recorder)
	wantPub := []string{
		"$JS.API.INFO",
		"_INBOX.>",
		"$JS.API.STREAM.INFO.KV_pnm-recorderInfo",
		"$KV.pnm-recorderInfo.>",
		"$JS.API.DIRECT.GET.KV_pnm-recorderInfo.>",
		"pnm-RecorderTranscoderJobs",
		"$JS.API.CONSUMER.MSG.NEXT.pnm-RecorderTranscoderJobs.transcoderWorker",
		"$JS.API.CONSUMER.INFO.pnm-RecorderTranscoderJobs.transcoderWorker",
		"$JS.ACK.pnm-RecorderTranscoderJobs.transcoderWorker.>",
	}
	if !reflect.DeepEqual([]string(perms.Pub.Allow), wantPub) {
		t.Errorf("pub allow:\n got %v\nwant %v", perms.Pub.Allow, wantPub)
	}
	if want := []string{"recorderChannel", "_INBOX.>"}; !reflect.DeepEqual([]string(perms.Sub.Allow), want) {
		t.Errorf("sub allow: got %v want %v", perms.Sub.Allow, want)
	}
	if len(perms.Pub.Deny) != 0 || len(perms.Sub.Deny) != 0 {
		t.Error("unexpected deny lists")
	}
	custom := RecorderPermissions(NatsInfoRecorder{RecorderChannel: "rc", RecorderInfoKv: "kv", TranscodingJobs: "jobs"})
	if custom.Pub.Allow[3] != "$KV.kv.>" || custom.Sub.Allow[0] != "rc" || custom.Pub.Allow[5] != "jobs" {
		t.Errorf("configured names not used: %v %v", custom.Pub.Allow, custom.Sub.Allow)
	}
}

func TestUserPermissionsStayInTheRoom(t *testing.T) {
	perms := UserPermissions(testNats(), "room1", "alice")
	for _, subject := range append(append([]string{}, perms.Pub.Allow...), perms.Sub.Allow...) {
		if subject == "$JS.API.INFO" || subject == "_INBOX.>" {
			continue
		}
		if !strings.Contains(subject, "room1") {
			t.Errorf("permission %q is not scoped to the room", subject)
		}
		if strings.Contains(subject, "*") || (strings.Contains(subject, ">") && !strings.HasSuffix(subject, ".>")) {
			t.Errorf("permission %q has an unexpected wildcard", subject)
		}
	}
	if !perms.Pub.Allow.Contains("$JS.API.CONSUMER.MSG.NEXT.pnm-room-stream.room1_alice") {
		t.Errorf("own consumer missing: %v", perms.Pub.Allow)
	}
	if !perms.Pub.Allow.Contains("sysJsWorker.room1.alice") || perms.Pub.Allow.Contains("$KV.pnm-recorderInfo.>") {
		t.Errorf("wrong system permissions: %v", perms.Pub.Allow)
	}
}

type calloutFixture struct {
	account, serverCurve, userKey nkeys.KeyPair
	server                        nkeys.KeyPair
	authorizer                    *Authorizer
	prepared                      []string
}

func newFixture(t *testing.T, withXkey bool) *calloutFixture {
	t.Helper()
	f := &calloutFixture{}
	var err error
	if f.account, err = nkeys.CreateAccount(); err != nil {
		t.Fatal(err)
	}
	if f.server, err = nkeys.CreateServer(); err != nil {
		t.Fatal(err)
	}
	if f.serverCurve, err = nkeys.CreateCurveKeys(); err != nil {
		t.Fatal(err)
	}
	if f.userKey, err = nkeys.CreateUser(); err != nil {
		t.Fatal(err)
	}
	issuerSeed, _ := f.account.Seed()
	cfg := &Config{}
	cfg.Client.ApiKey, cfg.Client.Secret = testKey, testSecret
	cfg.NatsInfo.AuthCalloutIssuerPrivate = string(issuerSeed)
	if withXkey {
		curve, _ := nkeys.CreateCurveKeys()
		seed, _ := curve.Seed()
		s := string(seed)
		cfg.NatsInfo.AuthCalloutXkeyPrivate = &s
	}
	cfg.applyDefaults()
	if f.authorizer, err = NewAuthorizer(cfg); err != nil {
		t.Fatal(err)
	}
	f.authorizer.Now = func() time.Time { return testNow }
	f.authorizer.PrepareUser = func(room, user string) error {
		f.prepared = append(f.prepared, room+"/"+user)
		return nil
	}
	return f
}

// request builds what nats-server sends, encrypted to the callout's xkey when it has one.
func (f *calloutFixture) request(t *testing.T, token string) ([]byte, string) {
	t.Helper()
	userPub, _ := f.userKey.PublicKey()
	serverPub, _ := f.server.PublicKey()
	req := natsjwt.NewAuthorizationRequestClaims(userPub)
	req.UserNkey = userPub
	req.Server = natsjwt.ServerID{Name: "nats-test", ID: serverPub}
	req.ConnectOptions.Token = token
	req.IssuedAt = time.Now().Unix()
	encoded, err := req.Encode(f.server)
	if err != nil {
		t.Fatal(err)
	}
	if f.authorizer.Curve == nil {
		return []byte(encoded), ""
	}
	calloutPub, _ := f.authorizer.Curve.PublicKey()
	sealed, err := f.serverCurve.Seal([]byte(encoded), calloutPub)
	if err != nil {
		t.Fatal(err)
	}
	serverXkey, _ := f.serverCurve.PublicKey()
	return sealed, serverXkey
}

func (f *calloutFixture) response(t *testing.T, data []byte, serverXkey string) *natsjwt.AuthorizationResponseClaims {
	t.Helper()
	if serverXkey != "" {
		calloutPub, _ := f.authorizer.Curve.PublicKey()
		opened, err := f.serverCurve.Open(data, calloutPub)
		if err != nil {
			t.Fatalf("response not sealed to the server's xkey: %v", err)
		}
		data = opened
	}
	resp, err := natsjwt.DecodeAuthorizationResponseClaims(string(data))
	if err != nil {
		t.Fatal(err)
	}
	accountPub, _ := f.account.PublicKey()
	serverPub, _ := f.server.PublicKey()
	userPub, _ := f.userKey.PublicKey()
	if resp.Issuer != accountPub || resp.Audience != serverPub || resp.Subject != userPub {
		t.Fatalf("response claims: issuer %s audience %s subject %s", resp.Issuer, resp.Audience, resp.Subject)
	}
	return resp
}

func TestCalloutRecorderWithXkey(t *testing.T) {
	f := newFixture(t, true)
	data, xkey := f.request(t, accessToken(t, testSecret, nil))
	out, decision, err := f.authorizer.Handle(data, xkey)
	if err != nil || decision.Kind != "recorder" {
		t.Fatalf("recorder not admitted: %v %+v", err, decision)
	}
	resp := f.response(t, out, xkey)
	if resp.Error != "" || resp.Jwt == "" {
		t.Fatalf("no user JWT: %q", resp.Error)
	}
	user, err := natsjwt.DecodeUserClaims(resp.Jwt)
	if err != nil {
		t.Fatal(err)
	}
	accountPub, _ := f.account.PublicKey()
	userPub, _ := f.userKey.PublicKey()
	if user.Issuer != accountPub || user.Subject != userPub || user.Audience != "PNM" {
		t.Errorf("user claims: issuer %s subject %s audience %s", user.Issuer, user.Subject, user.Audience)
	}
	if user.Expires != testNow.Add(10*time.Minute).Unix() {
		t.Errorf("user JWT expires %d, want token_validity from now", user.Expires)
	}
	if !reflect.DeepEqual(user.Permissions, RecorderPermissions(testNats().Recorder)) {
		t.Errorf("recorder permissions: %+v", user.Permissions)
	}
	var name map[string]any
	if err := json.Unmarshal([]byte(user.Name), &name); err != nil || name["name"] != RecorderAuthName || name["userId"] != "rec-01" {
		t.Errorf("user name is not the claims as JSON: %q", user.Name)
	}
	if len(f.prepared) != 0 {
		t.Error("a recorder got a room consumer")
	}
}

func TestCalloutUserWithoutXkey(t *testing.T) {
	f := newFixture(t, false)
	token := accessToken(t, testSecret, func(c jwt.MapClaims) {
		c["name"], c["sub"], c["user_id"], c["room_id"] = "Alice", "alice", "alice", "room1"
	})
	data, xkey := f.request(t, token)
	out, decision, err := f.authorizer.Handle(data, xkey)
	if err != nil || decision.Kind != "user" || decision.RoomId != "room1" {
		t.Fatalf("user not admitted: %v %+v", err, decision)
	}
	user, err := natsjwt.DecodeUserClaims(f.response(t, out, "").Jwt)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(user.Permissions, UserPermissions(testNats(), "room1", "alice")) {
		t.Errorf("user permissions: %+v", user.Permissions)
	}
	if !reflect.DeepEqual(f.prepared, []string{"room1/alice"}) {
		t.Errorf("consumer not prepared: %v", f.prepared)
	}
}

func TestCalloutDenies(t *testing.T) {
	f := newFixture(t, true)
	cases := map[string]string{
		"no token":     "",
		"wrong secret": accessToken(t, "wrong-secret", nil),
		"no room":      accessToken(t, testSecret, func(c jwt.MapClaims) { c["name"] = "Bob" }),
		"wildcard room": accessToken(t, testSecret, func(c jwt.MapClaims) {
			c["name"], c["room_id"] = "Bob", ">"
		}),
		"dotted user": accessToken(t, testSecret, func(c jwt.MapClaims) {
			c["name"], c["room_id"], c["sub"], c["user_id"] = "Bob", "room1", "a.b", "a.b"
		}),
		"wildcard recorder": accessToken(t, testSecret, func(c jwt.MapClaims) { c["sub"], c["user_id"] = "*", "*" }),
	}
	for name, token := range cases {
		data, xkey := f.request(t, token)
		out, decision, err := f.authorizer.Handle(data, xkey)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		resp := f.response(t, out, xkey)
		if decision.Kind != "denied" || resp.Error == "" || resp.Jwt != "" {
			t.Errorf("%s: not denied: %+v error=%q", name, decision, resp.Error)
		}
	}
}

func TestCalloutUnreadableRequests(t *testing.T) {
	f := newFixture(t, false)
	data, _ := f.request(t, accessToken(t, testSecret, nil))
	if _, _, err := f.authorizer.Handle(data, "XSOMEKEY"); err == nil {
		t.Error("an encrypted request without an xkey configured was answered")
	}
	if _, _, err := f.authorizer.Handle([]byte("garbage"), ""); err == nil {
		t.Error("garbage was answered with a response")
	}
	g := newFixture(t, true)
	data, xkey := g.request(t, accessToken(t, testSecret, nil))
	data[len(data)-1] ^= 0xff
	if _, _, err := g.authorizer.Handle(data, xkey); err == nil {
		t.Error("a tampered sealed request was answered")
	}
}

func TestAPIHeaders(t *testing.T) {
	body := []byte("\x0a\x08recorder")
	h := http.Header{}
	h.Set("API-KEY", testKey)
	h.Set("HASH-SIGNATURE", HashSignature(testSecret, body))
	if err := CheckAPIHeaders(testKey, testSecret, h, body); err != nil {
		t.Fatalf("good signature refused: %v", err)
	}
	if err := CheckAPIHeaders(testKey, testSecret, h, append(body, 'x')); err == nil {
		t.Error("signature of another body accepted")
	}
	h.Set("HASH-SIGNATURE", HashSignature("wrong", body))
	if err := CheckAPIHeaders(testKey, testSecret, h, body); err == nil {
		t.Error("signature with the wrong secret accepted")
	}
	h.Set("HASH-SIGNATURE", HashSignature(testSecret, body))
	h.Set("API-KEY", "other")
	if err := CheckAPIHeaders(testKey, testSecret, h, body); err == nil {
		t.Error("wrong API key accepted")
	}
	h.Del("API-KEY")
	if err := CheckAPIHeaders(testKey, testSecret, h, body); err == nil {
		t.Error("missing API key accepted")
	}
}

func TestLivekitWebhook(t *testing.T) {
	body := []byte(`{"event":"room_started","room":{"name":"room1"}}`)
	sum := sha256.Sum256(body)
	token, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "APIkey", "exp": testNow.Add(time.Minute).Unix(), "sha256": base64.StdEncoding.EncodeToString(sum[:]),
	}).SignedString([]byte("lk-secret"))
	if err := VerifyLivekitWebhook("APIkey", "lk-secret", token, body, testNow); err != nil {
		t.Fatalf("good webhook refused: %v", err)
	}
	if err := VerifyLivekitWebhook("APIkey", "lk-secret", token, []byte(`{"event":"x"}`), testNow); err == nil {
		t.Error("webhook with another body accepted")
	}
	if err := VerifyLivekitWebhook("APIkey", "other", token, body, testNow); err == nil {
		t.Error("webhook signed with another secret accepted")
	}
}

func TestDecodeRecorderToPlugNmeet(t *testing.T) {
	// from="recorder" (1), task=END_RECORDING (2), status=true (3), recorder_id="rec-01" (8), file_size=1.5 (10)
	msg := []byte{0x0a, 8}
	msg = append(msg, "recorder"...)
	msg = append(msg, 0x10, 4, 0x18, 1, 0x42, 6)
	msg = append(msg, "rec-01"...)
	msg = append(msg, 0x55, 0x00, 0x00, 0xc0, 0x3f)
	got, err := DecodeRecorderToPlugNmeet(msg)
	if err != nil {
		t.Fatal(err)
	}
	if got["from"] != "recorder" || got["task"] != "END_RECORDING" || got["status"] != true ||
		got["recorder_id"] != "rec-01" || got["file_size"] != float32(1.5) {
		t.Errorf("decoded %v", got)
	}
	if _, err := DecodeRecorderToPlugNmeet([]byte{0x0a, 50, 'x'}); err == nil {
		t.Error("truncated message decoded")
	}
}
