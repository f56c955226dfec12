package spool

import (
	"bufio"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
)

// A frame is one entry on disk:
//
//	length   uint32, big-endian: the payload's length
//	checksum uint32, big-endian: CRC-32C of the sequence number and payload
//	sequence uint64, big-endian
//	payload  length bytes
//
// The checksum covers the sequence number so that a frame read at a wrong
// offset, or left over from another entry, is never taken for a good one.
const frameHeader = 16

// maxFramePayload bounds a payload when the spool has no byte bound.
const maxFramePayload = 1 << 30

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func appendFrame(dst []byte, seq uint64, payload []byte) []byte {
	var h [frameHeader]byte
	binary.BigEndian.PutUint32(h[0:4], uint32(len(payload)))
	binary.BigEndian.PutUint64(h[8:16], seq)
	crc := crc32.Update(0, castagnoli, h[8:16])
	crc = crc32.Update(crc, castagnoli, payload)
	binary.BigEndian.PutUint32(h[4:8], crc)
	dst = append(dst, h[:]...)
	return append(dst, payload...)
}

// frame is one entry read back.
type frame struct {
	seq  uint64
	off  int64 // of the frame in its segment
	size int64 // of the frame, header included
	data []byte
}

// readFrames reads the frames of a segment whose first entry is first,
// stopping at the first bad one: cut short, failing its checksum, longer
// than maxPayload, or out of sequence. valid is the length of the good
// prefix. err is only an error reading r, never a bad frame.
func readFrames(r io.Reader, first uint64, maxPayload int64) (frames []frame, valid int64, err error) {
	br := bufio.NewReader(r)
	var h [frameHeader]byte
	for want := first; ; want++ {
		if _, err := io.ReadFull(br, h[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return frames, valid, nil
			}
			return frames, valid, err
		}
		n := int64(binary.BigEndian.Uint32(h[0:4]))
		seq := binary.BigEndian.Uint64(h[8:16])
		if n > maxPayload || seq != want {
			return frames, valid, nil
		}
		// Read as far as the bytes go rather than allocating a corrupt
		// length up front.
		data, err := io.ReadAll(io.LimitReader(br, n))
		if err != nil {
			return frames, valid, err
		}
		if int64(len(data)) < n {
			return frames, valid, nil
		}
		crc := crc32.Update(0, castagnoli, h[8:16])
		if crc32.Update(crc, castagnoli, data) != binary.BigEndian.Uint32(h[4:8]) {
			return frames, valid, nil
		}
		frames = append(frames, frame{seq: seq, off: valid, size: frameHeader + n, data: data})
		valid += frameHeader + n
	}
}
