// Stand-in for the Azure Speech SDK's Go API surface, written for this project's tests: it holds only the
// names plugnmeet-server v2.4.0 uses, and no SDK code. See ../README.md.

// Package audio holds audio formats, input streams and audio configs; none can be created.
package audio

import "errors"

var errNotAvailable = errors.New("speech SDK not available")

// AudioStreamFormat describes PCM audio.
type AudioStreamFormat struct{}

// GetWaveFormatPCM always fails: there is no SDK to hold the format.
func GetWaveFormatPCM(samplesPerSecond uint32, bitsPerSample uint8, channels uint8) (*AudioStreamFormat, error) {
	return nil, errNotAvailable
}

// PushAudioInputStream is an audio stream its caller writes to. Methods are safe on nil.
type PushAudioInputStream struct{}

// CreatePushAudioInputStreamFromFormat always fails.
func CreatePushAudioInputStreamFromFormat(format *AudioStreamFormat) (*PushAudioInputStream, error) {
	return nil, errNotAvailable
}

// Write always fails.
func (s *PushAudioInputStream) Write(buffer []byte) error { return errNotAvailable }

// SetPropertyByName always fails.
func (s *PushAudioInputStream) SetPropertyByName(name string, value string) error {
	return errNotAvailable
}

// Close does nothing: nothing was opened.
func (s *PushAudioInputStream) Close() {}

// AudioConfig says where a recognizer reads audio from or a synthesizer writes it to. Methods are safe on nil.
type AudioConfig struct{}

// NewAudioConfigFromStreamInput always fails.
func NewAudioConfigFromStreamInput(stream *PushAudioInputStream) (*AudioConfig, error) {
	return nil, errNotAvailable
}

// Close does nothing: nothing was opened.
func (c *AudioConfig) Close() {}
