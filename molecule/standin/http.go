package main

// The HTTP side on client.port: /healthCheck, /webhook (LiveKit), the /auth API's header check with
// /auth/recorder/notify, the page a recording bot joins, and /standin/status.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"
)

const maxBody = 8 << 20

type Server struct {
	cfg    *Config
	log    *slog.Logger
	status *Status
	nc     *nats.Conn
	db     *sql.DB               // nil when database_info.host is empty
	rds    redis.UniversalClient // nil when redis_info has no host
	now    func() time.Time
}

func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	// Upstream mounts the health check for every method (HAProxy sends HEAD).
	mux.HandleFunc("/healthCheck", s.healthCheck)
	mux.HandleFunc("POST /webhook", s.webhook)
	mux.HandleFunc("/auth/", s.authAPI)
	mux.HandleFunc("GET /standin/status", s.standinStatus)
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "not found", http.StatusNotFound)
	})
	return s.logged(mux)
}

func (s *Server) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		s.status.count(fmt.Sprintf("%s %s %d", r.Method, r.URL.Path, rec.code))
		if r.URL.Path != "/healthCheck" || rec.code != http.StatusOK {
			s.log.Info("http", "method", r.Method, "path", r.URL.Path, "status", rec.code, "client", s.clientIP(r))
		}
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// clientIP honours client.proxy_conf: the proxy header counts only when the peer is a trusted proxy.
func (s *Server) clientIP(r *http.Request) string {
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		peer = r.RemoteAddr
	}
	pc := s.cfg.Client.ProxyConf
	if pc == nil || !pc.Enabled || pc.ProxyHeader == "" {
		return peer
	}
	forwarded := r.Header.Get(pc.ProxyHeader)
	if forwarded == "" || !trusted(peer, pc.TrustedProxyIps) {
		return peer
	}
	return strings.TrimSpace(strings.Split(forwarded, ",")[0])
}

func trusted(peer string, proxies []string) bool {
	ip := net.ParseIP(peer)
	if ip == nil {
		return false
	}
	for _, p := range proxies {
		if strings.Contains(p, "/") {
			if _, network, err := net.ParseCIDR(p); err == nil && network.Contains(ip) {
				return true
			}
		} else if other := net.ParseIP(p); other != nil && other.Equal(ip) {
			return true
		}
	}
	return false
}

// healthCheck answers like upstream v2.4.0: 503 with the failing dependency (database, Redis, NATS), else 200.
func (s *Server) healthCheck(w http.ResponseWriter, r *http.Request) {
	if reason := s.unhealthy(r.Context()); reason != "" {
		s.log.Warn("health check failed", "reason", reason)
		http.Error(w, reason, http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "Healthy")
}

func (s *Server) unhealthy(parent context.Context) string {
	ctx, cancel := context.WithTimeout(parent, 3*time.Second)
	defer cancel()
	if s.db != nil {
		var one int
		if err := s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
			s.log.Warn("database check failed", "error", err)
			return "DB connection error"
		}
	}
	if s.rds != nil {
		if err := s.rds.Ping(ctx).Err(); err != nil {
			s.log.Warn("redis check failed", "error", err)
			return "Redis connection error"
		}
	}
	if s.nc == nil || !s.nc.IsConnected() {
		return "Nats connection error"
	}
	return ""
}

// webhook accepts LiveKit's webhooks: the Authorization header is a JWT signed with the LiveKit API secret, issued
// by the LiveKit API key, whose sha256 claim is the base64 SHA-256 of the body. 403 when it does not verify, 422
// when the body is not a JSON event, else 200.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	token := strings.TrimSpace(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	if err := VerifyLivekitWebhook(s.cfg.LivekitInfo.ApiKey, s.cfg.LivekitInfo.Secret, token, body, s.now()); err != nil {
		s.log.Warn("webhook refused", "error", err)
		s.status.count("webhook refused")
		w.WriteHeader(http.StatusForbidden)
		return
	}
	var event struct {
		Event string `json:"event"`
		Room  *struct {
			Name string `json:"name"`
		} `json:"room"`
		Participant *struct {
			Identity string `json:"identity"`
		} `json:"participant"`
	}
	if err := json.Unmarshal(body, &event); err != nil {
		w.WriteHeader(http.StatusUnprocessableEntity)
		return
	}
	summary := map[string]string{"event": event.Event, "at": s.now().UTC().Format(time.RFC3339)}
	if event.Room != nil {
		summary["room"] = event.Room.Name
	}
	if event.Participant != nil {
		summary["participant"] = event.Participant.Identity
	}
	s.status.webhook(summary)
	s.log.Info("livekit webhook", "event", event.Event, "room", summary["room"], "participant", summary["participant"])
	w.WriteHeader(http.StatusOK)
}

// VerifyLivekitWebhook checks a LiveKit webhook token against the body.
func VerifyLivekitWebhook(apiKey, secret, token string, body []byte, now time.Time) error {
	if token == "" {
		return errors.New("no Authorization header")
	}
	if apiKey == "" || secret == "" {
		return errors.New("livekit_info has no api_key or secret")
	}
	var claims struct {
		Sha256 string `json:"sha256"`
		jwt.RegisteredClaims
	}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(apiKey),
		jwt.WithLeeway(tokenLeeway), jwt.WithTimeFunc(func() time.Time { return now }))
	if _, err := parser.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return []byte(secret), nil }); err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	if subtle.ConstantTimeCompare([]byte(claims.Sha256), []byte(base64.StdEncoding.EncodeToString(sum[:]))) != 1 {
		return errors.New("authorization token didn't match the body")
	}
	return nil
}

// HashSignature is what plugNmeet API callers put into HASH-SIGNATURE: hex HMAC-SHA256 of the body with the API
// secret.
func HashSignature(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// CheckAPIHeaders is upstream's check of every /auth request: API-KEY must be the API key and HASH-SIGNATURE the
// body's HMAC (for multipart requests: of the Room-Id header).
func CheckAPIHeaders(apiKey, secret string, h http.Header, body []byte) error {
	key := h.Get("API-KEY")
	signature := h.Get("HASH-SIGNATURE")
	switch {
	case key == "":
		return errors.New("Missing API-KEY header.")
	case subtle.ConstantTimeCompare([]byte(key), []byte(apiKey)) != 1:
		return errors.New("Invalid API key provided.")
	case signature == "":
		return errors.New("Missing HASH-SIGNATURE header.")
	}
	signed := body
	if strings.Contains(h.Get("Content-Type"), "multipart/form-data") {
		if h.Get("Room-Id") == "" {
			return errors.New("Missing Room-Id header for multipart request.")
		}
		signed = []byte(h.Get("Room-Id"))
	}
	if subtle.ConstantTimeCompare([]byte(HashSignature(secret, signed)), []byte(signature)) != 1 {
		return errors.New("Failed to verify provided authentication details.")
	}
	return nil
}

func (s *Server) authAPI(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if err := CheckAPIHeaders(s.cfg.Client.ApiKey, s.cfg.Client.Secret, r.Header, body); err != nil {
		s.log.Warn("api request refused", "path", r.URL.Path, "reason", err.Error())
		writeJSON(w, http.StatusUnauthorized, map[string]any{"status": false, "msg": err.Error()})
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/auth/recorder/notify" {
		writeJSON(w, http.StatusNotImplemented, map[string]any{
			"status": false, "msg": "the plugnmeet-server stand-in does not emulate " + r.URL.Path,
		})
		return
	}
	event, err := DecodeRecorderToPlugNmeet(body)
	if err != nil {
		// Upstream answers an unreadable body with 200 and status false.
		s.log.Warn("recorder notify: unmarshalling failed", "error", err)
		writeJSON(w, http.StatusOK, map[string]any{"status": false, "msg": err.Error()})
		return
	}
	event["at"] = s.now().UTC().Format(time.RFC3339)
	s.status.notified(event)
	s.log.Info("recorder notify", "event", event)
	w.WriteHeader(http.StatusOK)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) standinStatus(w http.ResponseWriter, _ *http.Request) {
	extra := map[string]any{"nats_connected": s.nc != nil && s.nc.IsConnected()}
	writeJSON(w, http.StatusOK, s.status.Snapshot(extra))
}

func (s *Server) page(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, pageHTML)
}

// The page a recording bot opens ({host}/?access_token=...): moving content, so a recording of it is not blank.
const pageHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>plugNmeet stand-in room</title>
<style>
  html, body { margin: 0; height: 100%; background: #10202c; color: #e8f1f8; font-family: sans-serif; overflow: hidden; }
  canvas { display: block; width: 100vw; height: 100vh; }
  #label { position: absolute; left: 1em; top: 1em; font-size: 1.4em; }
</style>
</head>
<body>
<div id="label">plugnmeet-server stand-in: test room (not the real plugNmeet client)</div>
<canvas id="scene"></canvas>
<script>
(function () {
  var canvas = document.getElementById('scene');
  var ctx = canvas.getContext('2d');
  var started = Date.now();
  function resize() { canvas.width = window.innerWidth; canvas.height = window.innerHeight; }
  window.addEventListener('resize', resize);
  resize();
  function frame() {
    var t = (Date.now() - started) / 1000;
    var w = canvas.width, h = canvas.height;
    ctx.fillStyle = 'hsl(' + ((t * 20) % 360) + ', 35%, 18%)';
    ctx.fillRect(0, 0, w, h);
    for (var i = 0; i < 12; i++) {
      var a = t * (0.6 + i * 0.07) + i;
      var x = w / 2 + Math.cos(a) * w * (0.1 + i * 0.025);
      var y = h / 2 + Math.sin(a * 1.3) * h * (0.1 + i * 0.02);
      ctx.beginPath();
      ctx.arc(x, y, 18 + 10 * Math.sin(t * 2 + i), 0, 2 * Math.PI);
      ctx.fillStyle = 'hsl(' + ((i * 30 + t * 60) % 360) + ', 80%, 60%)';
      ctx.fill();
    }
    ctx.fillStyle = '#ffffff';
    ctx.font = Math.round(h / 12) + 'px monospace';
    ctx.fillText(new Date().toISOString().substr(11, 12), w * 0.05, h * 0.9);
    window.requestAnimationFrame(frame);
  }
  window.requestAnimationFrame(frame);
})();
</script>
</body>
</html>
`
