package main

// The part of plugnmeet-server's config.yaml (v2.4.0 schema) the stand-in reads. Key names are upstream's; every
// other key of the file is ignored, the way a YAML decoder ignores unknown fields.

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"
)

type Config struct {
	Client             ClientInfo          `yaml:"client"`
	LogSettings        LogSettings         `yaml:"log_settings"`
	LivekitInfo        LivekitInfo         `yaml:"livekit_info"`
	RedisInfo          RedisInfo           `yaml:"redis_info"`
	DatabaseInfo       DatabaseInfo        `yaml:"database_info"`
	NatsInfo           NatsInfo            `yaml:"nats_info"`
	UploadFileSettings UploadFileSettings  `yaml:"upload_file_settings"`
	RecorderInfo       RecorderInfo        `yaml:"recorder_info"`
	ArtifactsSettings  *ArtifactsSettings  `yaml:"artifacts_settings"`
	SharedNotepad      SharedNotepad       `yaml:"shared_notepad"`
	RoomDefault        RoomDefaultSettings `yaml:"room_default_settings"`

	// Directory relative paths are resolved against (the working directory, as upstream does).
	rootDir string
}

type ClientInfo struct {
	Port          int            `yaml:"port"`
	Debug         bool           `yaml:"debug"`
	Path          string         `yaml:"path"`
	ApiKey        string         `yaml:"api_key"`
	Secret        string         `yaml:"secret"`
	TokenValidity *time.Duration `yaml:"token_validity"`
	ProxyConf     *ProxyConf     `yaml:"proxy_conf"`
}

type ProxyConf struct {
	Enabled         bool     `yaml:"enabled"`
	ProxyHeader     string   `yaml:"proxy_header"`
	TrustedProxyIps []string `yaml:"trusted_proxy_ips"`
}

type LogSettings struct {
	LogFile  string  `yaml:"log_file"`
	LogLevel *string `yaml:"log_level"`
}

type LivekitInfo struct {
	Host   string `yaml:"host"`
	ApiKey string `yaml:"api_key"`
	Secret string `yaml:"secret"`
}

type RedisInfo struct {
	Host              string   `yaml:"host"`
	Username          string   `yaml:"username"`
	Password          string   `yaml:"password"`
	DB                int      `yaml:"db"`
	UseTLS            bool     `yaml:"use_tls"`
	MasterName        string   `yaml:"sentinel_master_name"`
	SentinelUsername  string   `yaml:"sentinel_username"`
	SentinelPassword  string   `yaml:"sentinel_password"`
	SentinelAddresses []string `yaml:"sentinel_addresses"`
}

type DatabaseInfo struct {
	DriverName string  `yaml:"driver_name"`
	Host       string  `yaml:"host"`
	Port       int32   `yaml:"port"`
	Username   string  `yaml:"username"`
	Password   string  `yaml:"password"`
	DBName     string  `yaml:"db"`
	Prefix     string  `yaml:"prefix"`
	Charset    *string `yaml:"charset"`
	Loc        *string `yaml:"loc"`
}

type NatsInfo struct {
	NatsUrls                 []string         `yaml:"nats_urls"`
	NatsWSUrls               []string         `yaml:"nats_ws_urls"`
	Account                  string           `yaml:"account"`
	User                     string           `yaml:"user"`
	Password                 string           `yaml:"password"`
	Nkey                     *string          `yaml:"nkey"`
	AuthCalloutIssuerPrivate string           `yaml:"auth_callout_issuer_private"`
	AuthCalloutXkeyPrivate   *string          `yaml:"auth_callout_xkey_private"`
	NumReplicas              int              `yaml:"num_replicas"`
	RoomStreamName           string           `yaml:"room_stream_name"`
	Subjects                 NatsSubjects     `yaml:"subjects"`
	Recorder                 NatsInfoRecorder `yaml:"recorder"`
}

type NatsSubjects struct {
	SystemApiWorker  string `yaml:"system_api_worker"`
	SystemJsWorker   string `yaml:"system_js_worker"`
	SystemCoreWorker string `yaml:"system_core_worker"`
	SystemPublic     string `yaml:"system_public"`
	SystemPrivate    string `yaml:"system_private"`
	Chat             string `yaml:"chat"`
	Whiteboard       string `yaml:"whiteboard"`
	DataChannel      string `yaml:"data_channel"`
}

type NatsInfoRecorder struct {
	RecorderChannel string `yaml:"recorder_channel"`
	RecorderInfoKv  string `yaml:"recorder_info_kv"`
	TranscodingJobs string `yaml:"transcoding_jobs_subject"`
}

type UploadFileSettings struct {
	Path string `yaml:"path"`
}

type RecorderInfo struct {
	RecordingFilesPath       string `yaml:"recording_files_path"`
	EnableDelRecordingBackup bool   `yaml:"enable_del_recording_backup"`
	DelRecordingBackupPath   string `yaml:"del_recording_backup_path"`
}

type ArtifactsSettings struct {
	StoragePath              *string `yaml:"storage_path"`
	EnableDelArtifactsBackup bool    `yaml:"enable_del_artifacts_backup"`
	DelArtifactsBackupPath   string  `yaml:"del_artifacts_backup_path"`
}

type SharedNotepad struct {
	Enabled bool `yaml:"enabled"`
}

type RoomDefaultSettings struct {
	MaxDuration     uint64 `yaml:"max_duration"`
	MaxParticipants uint64 `yaml:"max_participants"`
}

// LoadConfig reads the file and fills the defaults plugnmeet-server v2.4.0 fills.
func LoadConfig(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("failed to read config file %s: %w", file, err)
	}
	cfg := &Config{}
	if err := yaml.Unmarshal(data, cfg); err != nil {
		return nil, fmt.Errorf("failed to unmarshal config file %s: %w", file, err)
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	cfg.rootDir = wd
	cfg.applyDefaults()
	return cfg, nil
}

func (c *Config) applyDefaults() {
	if c.Client.Port == 0 {
		c.Client.Port = 8080
	}
	if c.Client.Path == "" {
		c.Client.Path = "./client/dist"
	}
	if c.Client.TokenValidity == nil || *c.Client.TokenValidity <= 0 {
		d := 10 * time.Minute
		c.Client.TokenValidity = &d
	}
	n := &c.NatsInfo
	if n.Account == "" {
		n.Account = "PNM"
	}
	if n.NumReplicas == 0 {
		n.NumReplicas = 1
	}
	if n.RoomStreamName == "" {
		n.RoomStreamName = "pnm-room-stream"
	}
	defaults := []struct {
		value    *string
		fallback string
	}{
		{&n.Subjects.SystemApiWorker, "sysApiWorker"},
		{&n.Subjects.SystemJsWorker, "sysJsWorker"},
		{&n.Subjects.SystemCoreWorker, "sysCoreWorker"},
		{&n.Subjects.SystemPublic, "sysPublic"},
		{&n.Subjects.SystemPrivate, "sysPrivate"},
		{&n.Subjects.Chat, "chat"},
		{&n.Subjects.Whiteboard, "whiteboard"},
		{&n.Subjects.DataChannel, "dataChannel"},
		{&n.Recorder.RecorderChannel, "recorderChannel"},
		{&n.Recorder.RecorderInfoKv, "pnm-recorderInfo"},
		{&n.Recorder.TranscodingJobs, "pnm-RecorderTranscoderJobs"},
	}
	for _, d := range defaults {
		if *d.value == "" {
			*d.value = d.fallback
		}
	}
	if c.DatabaseInfo.Port == 0 {
		c.DatabaseInfo.Port = 3306
	}
	if c.UploadFileSettings.Path == "" {
		c.UploadFileSettings.Path = "./upload"
	}
	if c.RecorderInfo.RecordingFilesPath == "" {
		c.RecorderInfo.RecordingFilesPath = "./recording_files"
	}
}

// abs resolves a configured path the way upstream does: relative to the working directory.
func (c *Config) abs(p string) string {
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.rootDir, p)
	}
	return filepath.Clean(p)
}

// Validate refuses what the real server could not start with.
func (c *Config) Validate() error {
	if c.Client.ApiKey == "" || c.Client.Secret == "" {
		return fmt.Errorf("client.api_key and client.secret are required")
	}
	if len(c.NatsInfo.NatsUrls) == 0 {
		return fmt.Errorf("nats_info.nats_urls is empty")
	}
	if c.NatsInfo.AuthCalloutIssuerPrivate == "" {
		return fmt.Errorf("nats_info.auth_callout_issuer_private is required")
	}
	if c.DatabaseInfo.DriverName != "" && c.DatabaseInfo.DriverName != "mysql" {
		return fmt.Errorf("database_info.driver_name %q is not supported (only mysql)", c.DatabaseInfo.DriverName)
	}
	if c.NatsInfo.NumReplicas < 1 {
		return fmt.Errorf("nats_info.num_replicas must be at least 1, got %d", c.NatsInfo.NumReplicas)
	}
	return nil
}
