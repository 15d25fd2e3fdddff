// plugnmeet-server stand-in: a TEST program that speaks the protocols the rest of a plugNmeet deployment depends
// on (HTTP health check, LiveKit webhooks, the recorder's notify API, NATS JetStream objects and the NATS auth
// callout) with plugnmeet-server's command line and config.yaml. It is NOT plugnmeet-server: see README.md.
package main

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
)

// Version is what -version prints; it says plainly that this is the stand-in.
const Version = "v2.4.0-standin (plugnmeet-server stand-in for tests, not the real server)"

func main() {
	configFile := flag.String("config", "config.yaml", "Configuration file")
	showVersion := flag.Bool("version", false, "Show version info")
	flag.Parse()
	if *showVersion {
		fmt.Println(Version)
		return
	}
	if err := run(*configFile); err != nil {
		slog.Error("plugnmeet-server stand-in failed", "error", err)
		os.Exit(1)
	}
}

func newLogger(cfg *Config) (*slog.Logger, io.Closer, error) {
	level := slog.LevelInfo
	if cfg.LogSettings.LogLevel != nil {
		_ = level.UnmarshalText([]byte(strings.ToLower(*cfg.LogSettings.LogLevel)))
	}
	var out io.Writer = os.Stdout
	var closer io.Closer = io.NopCloser(nil)
	// Like upstream: stdout always, plus log_settings.log_file when set.
	if cfg.LogSettings.LogFile != "" {
		path := cfg.abs(cfg.LogSettings.LogFile)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, nil, fmt.Errorf("failed to setup logger: %w", err)
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
		if err != nil {
			return nil, nil, fmt.Errorf("failed to setup logger: %w", err)
		}
		out, closer = io.MultiWriter(os.Stdout, f), f
	}
	return slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level})), closer, nil
}

// prepareDirs creates the directories upstream creates at startup, and checks the web client files it reads at
// startup when client.debug is off, so a deployment that would stop the real server stops the stand-in too.
func prepareDirs(cfg *Config) error {
	dirs := []string{cfg.abs(cfg.UploadFileSettings.Path), cfg.abs(cfg.RecorderInfo.RecordingFilesPath)}
	if cfg.RecorderInfo.EnableDelRecordingBackup {
		backup := cfg.RecorderInfo.DelRecordingBackupPath
		if backup == "" {
			backup = filepath.Join(cfg.RecorderInfo.RecordingFilesPath, "del_backup")
		}
		dirs = append(dirs, cfg.abs(backup))
	}
	artifacts := "./artifacts"
	trash, backupArtifacts := "", true
	if a := cfg.ArtifactsSettings; a != nil {
		if a.StoragePath != nil {
			artifacts = *a.StoragePath
		}
		trash, backupArtifacts = a.DelArtifactsBackupPath, a.EnableDelArtifactsBackup
	}
	dirs = append(dirs, cfg.abs(artifacts))
	if backupArtifacts {
		if trash == "" {
			trash = filepath.Join(cfg.abs(artifacts), "trash")
		}
		dirs = append(dirs, cfg.abs(trash))
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("failed to create directory %s: %w", d, err)
		}
	}
	if !cfg.Client.Debug {
		for _, sub := range []string{"css", "js"} {
			p := filepath.Join(cfg.abs(cfg.Client.Path), "assets", sub)
			if st, err := os.Stat(p); err != nil || !st.IsDir() {
				return fmt.Errorf("failed to read client files from %s (client.path must hold the web client, "+
					"or client.debug be true)", p)
			}
		}
	}
	return nil
}

func openDatabase(ctx context.Context, cfg *Config) (*sql.DB, error) {
	info := cfg.DatabaseInfo
	if info.Host == "" {
		return nil, nil
	}
	charset, loc := "utf8mb4", "UTC"
	if info.Charset != nil && *info.Charset != "" {
		charset = *info.Charset
	}
	if info.Loc != nil && *info.Loc != "" {
		loc = *info.Loc
	}
	location, err := time.LoadLocation(loc)
	if err != nil {
		location = time.UTC
	}
	dsn := mysql.NewConfig()
	dsn.User, dsn.Passwd, dsn.Net = info.Username, info.Password, "tcp"
	dsn.Addr = fmt.Sprintf("%s:%d", info.Host, info.Port)
	dsn.DBName, dsn.ParseTime, dsn.Loc = info.DBName, true, location
	dsn.Params = map[string]string{"charset": charset}
	dsn.Timeout = 5 * time.Second
	db, err := sql.Open("mysql", dsn.FormatDSN())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	db.SetConnMaxLifetime(4 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("failed to connect to database: %w", err)
	}
	return db, nil
}

func openRedis(ctx context.Context, cfg *Config) (redis.UniversalClient, error) {
	rf := cfg.RedisInfo
	var tlsConfig *tls.Config
	if rf.UseTLS {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	var rdb redis.UniversalClient
	switch {
	case len(rf.SentinelAddresses) > 0:
		rdb = redis.NewFailoverClient(&redis.FailoverOptions{
			SentinelAddrs: rf.SentinelAddresses, SentinelUsername: rf.SentinelUsername,
			SentinelPassword: rf.SentinelPassword, MasterName: rf.MasterName,
			Username: rf.Username, Password: rf.Password, DB: rf.DB, TLSConfig: tlsConfig,
		})
	case rf.Host != "":
		rdb = redis.NewClient(&redis.Options{
			Addr: rf.Host, Username: rf.Username, Password: rf.Password, DB: rf.DB, TLSConfig: tlsConfig,
		})
	default:
		return nil, nil
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("failed to connect to Redis: %w", err)
	}
	return rdb, nil
}

func run(configFile string) error {
	cfg, err := LoadConfig(configFile)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("failed to initialize config: %w", err)
	}
	log, logCloser, err := newLogger(cfg)
	if err != nil {
		return err
	}
	defer logCloser.Close()
	log.Warn("this is the plugnmeet-server STAND-IN for tests, not plugnmeet-server", "version", Version)
	if err := prepareDirs(cfg); err != nil {
		return fmt.Errorf("failed to initialize config: %w", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	status := NewStatus()

	// The real server needs all three at startup and exits when one is missing; so does the stand-in.
	db, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	if db != nil {
		defer db.Close()
		var version string
		_ = db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version)
		log.Info("connected to database", "version", version, "db", cfg.DatabaseInfo.DBName)
	}
	rds, err := openRedis(ctx, cfg)
	if err != nil {
		return err
	}
	if rds != nil {
		defer rds.Close()
		log.Info("connected to Redis")
	}
	nc, err := ConnectNATS(cfg, log, status)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("failed to create jetstream context: %w", err)
	}
	setupCtx, cancelSetup := context.WithTimeout(ctx, 30*time.Second)
	err = SetupJetStream(setupCtx, js, cfg, log, status)
	cancelSetup()
	if err != nil {
		return err
	}

	authorizer, err := NewAuthorizer(cfg)
	if err != nil {
		return err
	}
	authorizer.PrepareUser = UserConsumerCreator(js, cfg.NatsInfo)
	service, err := StartAuthService(nc, authorizer, log, status)
	if err != nil {
		return fmt.Errorf("error adding auth service: %w", err)
	}
	log.Info("auth callout service added", "subject", authServiceSubject, "queue_group", authServiceQueueGroup,
		"xkey", authorizer.Curve != nil)

	srv := &Server{cfg: cfg, log: log, status: status, nc: nc, db: db, rds: rds, now: time.Now}
	httpServer := &http.Server{
		// Like upstream: every address, the configured port (the host firewall decides who reaches it).
		Addr:              fmt.Sprintf(":%d", cfg.Client.Port),
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	serveErr := make(chan error, 1)
	go func() {
		log.Info("listening", "address", httpServer.Addr)
		serveErr <- httpServer.ListenAndServe()
	}()

	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			_ = service.Stop()
			return fmt.Errorf("http server: %w", err)
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = httpServer.Shutdown(shutdownCtx)
	_ = service.Stop()
	if err := nc.Drain(); err != nil {
		log.Warn("nats drain", "error", err)
	}
	for deadline := time.Now().Add(5 * time.Second); !nc.IsClosed() && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	log.Info("stopped")
	return nil
}
