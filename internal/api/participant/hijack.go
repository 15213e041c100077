package participant

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
)

// socketBufferSize is the read and write buffer of each chat websocket.
// The websocket library keeps the buffers the connection is hijacked with
// for the socket's whole life, and the HTTP server's are 4 KiB each: with
// thousands of mostly idle chats that is most of a socket's memory. Clients
// send only tiny frames (subscribe, heartbeat, ping), and a frame larger
// than the write buffer goes straight to the connection, so 1 KiB costs
// nothing in speed.
const socketBufferSize = 1024

// smallBuffers hands the websocket library a hijacked connection with
// socketBufferSize buffers instead of the HTTP server's.
type smallBuffers struct {
	http.ResponseWriter
}

// Hijack implements http.Hijacker.
func (s smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := s.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("response writer cannot be hijacked")
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		conn.Close()
		return nil, nil, err
	}
	// Whatever the client sent after its request (its first frames) must
	// sit in the new reader's buffer: the websocket library reads it from
	// there and then reads the connection directly.
	n := brw.Reader.Buffered()
	early, _ := brw.Reader.Peek(n)
	br := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(early)), conn), max(socketBufferSize, n))
	if n > 0 {
		if _, err := br.Peek(n); err != nil {
			conn.Close()
			return nil, nil, err
		}
	}
	return conn, bufio.NewReadWriter(br, bufio.NewWriterSize(conn, socketBufferSize)), nil
}
