package main

// plugNmeet access tokens and the NATS auth callout, as plugnmeet-server v2.4.0 does them:
//   - an access token is an HS256 JWT signed with client.secret, issuer client.api_key, subject the user id, and
//     plugNmeet's token claims (name, user_id, room_id, is_admin, is_hidden, client_type) as JSON fields;
//   - the NATS server sends every connecting client (except the server's own nkey user) to $SYS.REQ.USER.AUTH,
//     sealed with the curve key when it carries the Nats-Server-Xkey header; the answer is an authorization
//     response JWT holding a user JWT for the PNM account, both signed with the issuer account key.

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	natsjwt "github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
)

const (
	// The name a recorder puts into its token (plugnmeet-recorder's NATS login).
	RecorderAuthName = "PLUGNMEET_RECORDER_AUTH"
	// Durable pull consumer of the transcoding WorkQueue stream.
	TranscoderConsumerDurable = "transcoderWorker"
	// Header the NATS server sets when it encrypts the callout with its xkey.
	ServerXkeyHeader = "Nats-Server-Xkey"
	// Leeway for nbf/exp/iat, the same as the JWT library upstream uses (go-jose's default).
	tokenLeeway = time.Minute
)

// IDs end up in NATS subjects: upstream's config documents [A-Za-z0-9_-] only. Anything else (".", "*", ">",
// spaces) could widen a subject permission, so such a token is refused.
var validID = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// TokenClaims are plugNmeet's PlugNmeetTokenClaims in the JSON form the access token carries them.
type TokenClaims struct {
	Name       string `json:"name,omitempty"`
	UserId     string `json:"user_id,omitempty"`
	RoomId     string `json:"room_id,omitempty"`
	IsAdmin    bool   `json:"is_admin,omitempty"`
	IsHidden   bool   `json:"is_hidden,omitempty"`
	ClientType int32  `json:"client_type,omitempty"`
	jwt.RegisteredClaims
}

// VerifyAccessToken checks a plugNmeet access token the way upstream's VerifyPlugNmeetAccessToken does: HS256 only,
// signed with the API secret, issuer = API key, nbf/exp/iat against now (one minute leeway), and when the claims
// carry a user_id it must equal the subject. The user id is then the subject.
func VerifyAccessToken(apiKey, secret, token string, now time.Time) (*TokenClaims, error) {
	if token == "" {
		return nil, errors.New("no token")
	}
	if apiKey == "" || secret == "" {
		return nil, errors.New("the server has no API key or secret configured")
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"HS256"}),
		jwt.WithIssuer(apiKey),
		jwt.WithLeeway(tokenLeeway),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	claims := &TokenClaims{}
	_, err := parser.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return []byte(secret), nil })
	if err != nil {
		return nil, err
	}
	if claims.UserId != "" && claims.Subject != claims.UserId {
		return nil, errors.New("token subject does not match its user_id")
	}
	claims.UserId = claims.Subject
	return claims, nil
}

// protoJSON renders the claims the way upstream puts them into the NATS user's name (protojson: lowerCamelCase,
// zero values left out, enums by name).
func (c *TokenClaims) protoJSON() string {
	out := map[string]any{}
	if c.Name != "" {
		out["name"] = c.Name
	}
	if c.UserId != "" {
		out["userId"] = c.UserId
	}
	if c.RoomId != "" {
		out["roomId"] = c.RoomId
	}
	if c.IsAdmin {
		out["isAdmin"] = true
	}
	if c.IsHidden {
		out["isHidden"] = true
	}
	switch c.ClientType {
	case 0:
	case 1:
		out["clientType"] = "HYBRID_WEB"
	default:
		out["clientType"] = c.ClientType
	}
	data, _ := json.Marshal(out)
	return string(data)
}

// RecorderPermissions are exactly the recorder's permissions in upstream v2.4.0: its KV bucket, the transcoding
// WorkQueue (publish jobs, pull and ack through the durable consumer), replies, and the recorder channel.
func RecorderPermissions(n NatsInfoRecorder) natsjwt.Permissions {
	kv := n.RecorderInfoKv
	jobs := n.TranscodingJobs
	return natsjwt.Permissions{
		Pub: natsjwt.Permission{Allow: natsjwt.StringList{
			"$JS.API.INFO",
			"_INBOX.>",
			"$JS.API.STREAM.INFO.KV_" + kv,
			"$KV." + kv + ".>",
			"$JS.API.DIRECT.GET.KV_" + kv + ".>",
			jobs,
			"$JS.API.CONSUMER.MSG.NEXT." + jobs + "." + TranscoderConsumerDurable,
			"$JS.API.CONSUMER.INFO." + jobs + "." + TranscoderConsumerDurable,
			"$JS.ACK." + jobs + "." + TranscoderConsumerDurable + ".>",
		}},
		Sub: natsjwt.Permission{Allow: natsjwt.StringList{
			n.RecorderChannel,
			"_INBOX.>",
		}},
	}
}

// UserDurable is the name of a user's consumer on the room stream (upstream: "<roomId>_<userId>").
func UserDurable(roomId, userId string) string {
	return roomId + "_" + userId
}

// UserPermissions are upstream v2.4.0's permissions of a room participant: its own consumer on the room stream,
// the system workers for its room and user id, and the room's core pub/sub channels. Nothing outside its room.
func UserPermissions(n NatsInfo, roomId, userId string) natsjwt.Permissions {
	s := n.Subjects
	durable := UserDurable(roomId, userId)
	return natsjwt.Permissions{
		Pub: natsjwt.Permission{Allow: natsjwt.StringList{
			"$JS.API.INFO",
			"$JS.API.CONSUMER.INFO." + n.RoomStreamName + "." + durable,
			"$JS.API.CONSUMER.MSG.NEXT." + n.RoomStreamName + "." + durable,
			"$JS.ACK." + n.RoomStreamName + "." + durable + ".>",
			s.SystemJsWorker + "." + roomId + "." + userId,
			s.SystemCoreWorker + "." + roomId + "." + userId,
			s.Chat + "." + roomId,
			s.Whiteboard + "." + roomId,
			s.DataChannel + "." + roomId,
		}},
		Sub: natsjwt.Permission{Allow: natsjwt.StringList{
			"_INBOX.>",
			s.SystemPublic + "." + roomId,
			s.Chat + "." + roomId,
			s.Whiteboard + "." + roomId,
			s.DataChannel + "." + roomId,
		}},
	}
}

// Decision is what the callout decided about one connection, for the log and /standin/status.
type Decision struct {
	Kind   string // "recorder", "user" or "denied"
	UserId string
	RoomId string
	Reason string
}

// CalloutError is an error answered with a micro service error (not an authorization response), as upstream does
// for requests it cannot even read.
type CalloutError struct {
	Code, Description string
}

func (e *CalloutError) Error() string { return e.Code + ": " + e.Description }

// Authorizer answers auth callout requests.
type Authorizer struct {
	ApiKey, Secret string
	Nats           NatsInfo
	Issuer         nkeys.KeyPair
	Curve          nkeys.KeyPair // nil without auth_callout_xkey_private
	UserJWTTTL     time.Duration // 0: the user JWT does not expire
	Now            func() time.Time
	// PrepareUser runs before a room participant is admitted (the real server creates its consumer there).
	PrepareUser func(roomId, userId string) error
}

// NewAuthorizer builds an Authorizer from the configuration.
func NewAuthorizer(cfg *Config) (*Authorizer, error) {
	issuer, err := nkeys.FromSeed([]byte(cfg.NatsInfo.AuthCalloutIssuerPrivate))
	if err != nil {
		return nil, fmt.Errorf("error creating issuer key pair: %w", err)
	}
	if pub, _ := issuer.PublicKey(); !nkeys.IsValidPublicAccountKey(pub) {
		return nil, errors.New("nats_info.auth_callout_issuer_private is not an account seed")
	}
	a := &Authorizer{
		ApiKey:     cfg.Client.ApiKey,
		Secret:     cfg.Client.Secret,
		Nats:       cfg.NatsInfo,
		Issuer:     issuer,
		UserJWTTTL: *cfg.Client.TokenValidity,
		Now:        time.Now,
	}
	if x := cfg.NatsInfo.AuthCalloutXkeyPrivate; x != nil && *x != "" {
		a.Curve, err = nkeys.FromCurveSeed([]byte(*x))
		if err != nil {
			return nil, fmt.Errorf("error creating curve key pair: %w", err)
		}
	}
	return a, nil
}

// Handle answers one callout request: payload and the request's Nats-Server-Xkey header in, the (sealed) response
// JWT out, or a CalloutError when the request cannot be read.
func (a *Authorizer) Handle(payload []byte, serverXkey string) ([]byte, Decision, error) {
	data := payload
	if serverXkey != "" {
		if a.Curve == nil {
			return nil, Decision{Kind: "denied", Reason: "encrypted request but no xkey configured"},
				&CalloutError{"500", "xKey not supported"}
		}
		opened, err := a.Curve.Open(payload, serverXkey)
		if err != nil {
			return nil, Decision{Kind: "denied", Reason: "cannot decrypt the request"}, &CalloutError{"500", err.Error()}
		}
		data = opened
	}
	req, err := natsjwt.DecodeAuthorizationRequestClaims(string(data))
	if err != nil {
		return nil, Decision{Kind: "denied", Reason: "cannot decode the request"}, &CalloutError{"500", err.Error()}
	}

	userJWT, decision, authErr := a.authorize(req)
	if authErr != nil {
		decision.Kind = "denied"
		decision.Reason = authErr.Error()
	}

	resp := natsjwt.NewAuthorizationResponseClaims(req.UserNkey)
	resp.Audience = req.Server.ID
	resp.Jwt = userJWT
	if authErr != nil {
		resp.Error = authErr.Error()
	}
	token, err := resp.Encode(a.Issuer)
	if err != nil {
		return nil, decision, &CalloutError{"500", "error encoding response jwt: " + err.Error()}
	}
	out := []byte(token)
	if serverXkey != "" {
		out, err = a.Curve.Seal(out, serverXkey)
		if err != nil {
			return nil, decision, &CalloutError{"500", "error encrypting response jwt: " + err.Error()}
		}
	}
	return out, decision, nil
}

func (a *Authorizer) authorize(req *natsjwt.AuthorizationRequestClaims) (string, Decision, error) {
	claims, err := VerifyAccessToken(a.ApiKey, a.Secret, req.ConnectOptions.Token, a.Now())
	if err != nil {
		return "", Decision{}, fmt.Errorf("invalid plugNmeet token: %w", err)
	}
	decision := Decision{UserId: claims.UserId, RoomId: claims.RoomId}
	user := natsjwt.NewUserClaims(req.UserNkey)
	user.Audience = a.Nats.Account
	// Upstream keeps the verified claims in the user's name: NATS redacts tokens in its connect events.
	user.Name = claims.protoJSON()
	if a.UserJWTTTL > 0 {
		user.Expires = a.Now().Add(a.UserJWTTTL).Unix()
	}

	if claims.Name == RecorderAuthName {
		if claims.UserId != "" && !validID.MatchString(claims.UserId) {
			return "", decision, fmt.Errorf("recorder id %q has characters NATS subjects cannot carry", claims.UserId)
		}
		user.Permissions = RecorderPermissions(a.Nats.Recorder)
		decision.Kind = "recorder"
	} else {
		if !validID.MatchString(claims.RoomId) || !validID.MatchString(claims.UserId) {
			return "", decision, fmt.Errorf("room_id %q / user_id %q missing or not made of [A-Za-z0-9_-]",
				claims.RoomId, claims.UserId)
		}
		if a.PrepareUser != nil {
			if err := a.PrepareUser(claims.RoomId, claims.UserId); err != nil {
				return "", decision, err
			}
		}
		user.Permissions = UserPermissions(a.Nats, claims.RoomId, claims.UserId)
		decision.Kind = "user"
	}

	vr := natsjwt.CreateValidationResults()
	user.Validate(vr)
	if errs := vr.Errors(); len(errs) > 0 {
		return "", decision, errors.Join(errs...)
	}
	token, err := user.Encode(a.Issuer)
	if err != nil {
		return "", decision, err
	}
	return token, decision, nil
}

// describe is a log line for a decision (no secret, no token).
func (d Decision) describe() string {
	parts := []string{"decision=" + d.Kind}
	if d.UserId != "" {
		parts = append(parts, "user_id="+d.UserId)
	}
	if d.RoomId != "" {
		parts = append(parts, "room_id="+d.RoomId)
	}
	if d.Reason != "" {
		parts = append(parts, fmt.Sprintf("reason=%q", d.Reason))
	}
	return strings.Join(parts, " ")
}
