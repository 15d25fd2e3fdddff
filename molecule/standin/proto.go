package main

// A minimal protobuf wire decoder for the one message the stand-in reads: plugNmeet's RecorderToPlugNmeet (the
// body of POST /auth/recorder/notify). Field numbers are those of plugnmeet-protocol's plugnmeet_recorder.proto;
// the stand-in cannot depend on that Go module (see README.md), and needs nothing more than this.

import (
	"encoding/binary"
	"errors"
	"math"
)

var recordingTasks = map[uint64]string{
	0: "START_RECORDING", 1: "STOP_RECORDING", 2: "START_RTMP", 3: "STOP_RTMP", 4: "END_RECORDING",
	5: "END_RTMP", 6: "RECORDING_PROCEEDED", 7: "STOP", 8: "RECORDING_TRANSCODING_FINISHED",
}

// RecorderToPlugNmeet fields: number -> JSON name.
var recorderToPlugNmeetStrings = map[uint64]string{
	1: "from", 4: "msg", 5: "recording_id", 6: "room_id", 7: "room_sid", 8: "recorder_id", 9: "file_path",
}

func readVarint(b []byte) (uint64, int, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, 0, errors.New("proto: bad varint")
	}
	return v, n, nil
}

// DecodeRecorderToPlugNmeet decodes the known fields; unknown fields are skipped, malformed input is an error.
func DecodeRecorderToPlugNmeet(b []byte) (map[string]any, error) {
	out := map[string]any{"task": recordingTasks[0], "status": false}
	for len(b) > 0 {
		key, n, err := readVarint(b)
		if err != nil {
			return nil, err
		}
		b = b[n:]
		field, wire := key>>3, key&7
		if field == 0 {
			return nil, errors.New("proto: field number 0")
		}
		switch wire {
		case 0: // varint
			v, n, err := readVarint(b)
			if err != nil {
				return nil, err
			}
			b = b[n:]
			switch field {
			case 2:
				if name, ok := recordingTasks[v]; ok {
					out["task"] = name
				} else {
					out["task"] = v
				}
			case 3:
				out["status"] = v != 0
			case 11:
				out["room_table_id"] = int64(v)
			case 12:
				out["recording_variant"] = v
			}
		case 1: // 64-bit
			if len(b) < 8 {
				return nil, errors.New("proto: truncated fixed64")
			}
			b = b[8:]
		case 2: // length-delimited
			l, n, err := readVarint(b)
			if err != nil {
				return nil, err
			}
			b = b[n:]
			if uint64(len(b)) < l {
				return nil, errors.New("proto: truncated bytes")
			}
			if name, ok := recorderToPlugNmeetStrings[field]; ok {
				out[name] = string(b[:l])
			}
			b = b[l:]
		case 5: // 32-bit
			if len(b) < 4 {
				return nil, errors.New("proto: truncated fixed32")
			}
			if field == 10 {
				out["file_size"] = math.Float32frombits(binary.LittleEndian.Uint32(b[:4]))
			}
			b = b[4:]
		default:
			return nil, errors.New("proto: unsupported wire type")
		}
	}
	return out, nil
}
