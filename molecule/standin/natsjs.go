package main

// The NATS side: the server's nkey connection, the JetStream objects plugnmeet-server v2.4.0 creates at startup,
// and the auth callout service.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"
	"github.com/nats-io/nkeys"
)

const (
	authServiceName       = "pnm-auth"
	authServiceQueueGroup = "pnm-auth-queue"
	authServiceSubject    = "$SYS.REQ.USER.AUTH"
	// Upstream: transcoding jobs are retried 3 times, each may take 10 minutes before it is redelivered.
	transcodingMaxDeliver = 3
	transcodingAckWait    = 10 * time.Minute
)

// ConnectNATS connects the way the real server does: the nkey user seed of nats_info.nkey (or user/password).
func ConnectNATS(cfg *Config, log *slog.Logger, status *Status) (*nats.Conn, error) {
	n := cfg.NatsInfo
	opts := []nats.Option{
		nats.Name("plugnmeet-server"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("nats disconnected", "error", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", "address", nc.ConnectedAddr())
		}),
	}
	if n.Nkey != nil && *n.Nkey != "" {
		kp, err := nkeys.FromSeed([]byte(*n.Nkey))
		if err != nil {
			return nil, fmt.Errorf("failed to create nkey option: %w", err)
		}
		pub, err := kp.PublicKey()
		if err != nil {
			return nil, err
		}
		opts = append(opts, nats.Nkey(pub, kp.Sign))
	} else {
		opts = append(opts, nats.UserInfo(n.User, n.Password))
	}
	nc, err := nats.Connect(strings.Join(n.NatsUrls, ","), opts...)
	if err != nil {
		return nil, fmt.Errorf("failed to connect to NATS server: %w", err)
	}
	log.Info("connected to NATS", "version", nc.ConnectedServerVersion(), "address", nc.ConnectedAddr())
	return nc, nil
}

// SetupJetStream creates (or updates) what the real server creates: the recorder info KV bucket, the transcoding
// WorkQueue stream with its durable pull consumer, the room stream, and the system JetStream worker stream.
func SetupJetStream(ctx context.Context, js jetstream.JetStream, cfg *Config, log *slog.Logger, status *Status) error {
	n := cfg.NatsInfo
	replicas := n.NumReplicas

	if _, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      n.Recorder.RecorderInfoKv,
		Description: "plugNmeet recorder info",
		Replicas:    replicas,
	}); err != nil {
		return fmt.Errorf("could not create recorder info bucket %s: %w", n.Recorder.RecorderInfoKv, err)
	}
	status.created("kv", n.Recorder.RecorderInfoKv)
	log.Info("created/updated recorder info bucket", "bucket", n.Recorder.RecorderInfoKv, "replicas", replicas)

	jobs, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        n.Recorder.TranscodingJobs,
		Description: "plugNmeet recorder transcoding jobs",
		Replicas:    replicas,
		Retention:   jetstream.WorkQueuePolicy,
		Subjects:    []string{n.Recorder.TranscodingJobs},
	})
	if err != nil {
		return fmt.Errorf("error creating recorder transcoder stream: %w", err)
	}
	status.created("stream", n.Recorder.TranscodingJobs)
	if _, err := jobs.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:    TranscoderConsumerDurable,
		AckPolicy:  jetstream.AckExplicitPolicy,
		AckWait:    transcodingAckWait,
		MaxDeliver: transcodingMaxDeliver,
	}); err != nil {
		return fmt.Errorf("error creating recorder transcoder consumer: %w", err)
	}
	status.created("consumer", n.Recorder.TranscodingJobs+"/"+TranscoderConsumerDurable)
	log.Info("created/updated recorder transcoder stream and consumer", "stream", n.Recorder.TranscodingJobs,
		"consumer", TranscoderConsumerDurable)

	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        n.RoomStreamName,
		Description: "plugNmeet room stream",
		Replicas:    replicas,
		Retention:   jetstream.InterestPolicy,
		Subjects:    []string{n.Subjects.SystemPublic + ".>", n.Subjects.SystemPrivate + ".>"},
	}); err != nil {
		return fmt.Errorf("error creating room stream %s: %w", n.RoomStreamName, err)
	}
	status.created("stream", n.RoomStreamName)
	log.Info("created/updated room stream", "stream", n.RoomStreamName)

	worker, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        n.Subjects.SystemJsWorker,
		Description: "plugNmeet system worker",
		Replicas:    replicas,
		Retention:   jetstream.WorkQueuePolicy,
		Subjects:    []string{n.Subjects.SystemJsWorker + ".*.*"},
	})
	if err != nil {
		return fmt.Errorf("error creating system worker stream: %w", err)
	}
	if _, err := worker.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: "pnm-" + n.Subjects.SystemJsWorker,
	}); err != nil {
		return fmt.Errorf("error creating system worker consumer: %w", err)
	}
	status.created("stream", n.Subjects.SystemJsWorker)
	status.created("consumer", n.Subjects.SystemJsWorker+"/pnm-"+n.Subjects.SystemJsWorker)
	log.Info("created/updated system worker stream and consumer", "stream", n.Subjects.SystemJsWorker)
	return nil
}

// UserConsumerCreator returns the hook that creates a participant's consumer on the room stream, as the real
// server does before admitting it.
func UserConsumerCreator(js jetstream.JetStream, n NatsInfo) func(roomId, userId string) error {
	return func(roomId, userId string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_, err := js.CreateOrUpdateConsumer(ctx, n.RoomStreamName, jetstream.ConsumerConfig{
			Durable:       UserDurable(roomId, userId),
			DeliverPolicy: jetstream.DeliverNewPolicy,
			FilterSubjects: []string{
				n.Subjects.SystemPublic + "." + roomId + ".>",
				n.Subjects.SystemPrivate + "." + roomId + "." + userId + ".>",
			},
		})
		return err
	}
}

// StartAuthService registers the auth callout as a NATS micro service in queue group pnm-auth-queue, so several
// servers share the load, as upstream does.
func StartAuthService(nc *nats.Conn, a *Authorizer, log *slog.Logger, status *Status) (micro.Service, error) {
	handler := func(r micro.Request) {
		resp, decision, err := a.Handle(r.Data(), r.Headers().Get(ServerXkeyHeader))
		status.decided(decision)
		var ce *CalloutError
		if errors.As(err, &ce) {
			log.Error("auth callout: request refused", "code", ce.Code, "error", ce.Description)
			_ = r.Error(ce.Code, ce.Description, nil)
			return
		}
		if decision.Kind == "denied" {
			log.Warn("auth callout: " + decision.describe())
		} else {
			log.Info("auth callout: " + decision.describe())
		}
		if err := r.Respond(resp); err != nil {
			log.Error("auth callout: cannot respond", "error", err)
		}
	}
	return micro.AddService(nc, micro.Config{
		Name:        authServiceName,
		Version:     "2.4.0",
		Description: "Handle authorization of pnm nats client (plugnmeet-server stand-in)",
		QueueGroup:  authServiceQueueGroup,
		Endpoint: &micro.EndpointConfig{
			Subject: authServiceSubject,
			Handler: micro.HandlerFunc(handler),
		},
	})
}
