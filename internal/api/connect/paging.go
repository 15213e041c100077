package connect

import (
	"encoding/base64"
	"strconv"

	"github.com/parley-chat/parley/internal/api/awsapi"
)

// paginate returns one page of items for a List call: MaxResults (1 to
// 1000, 100 when 0) from the offset NextToken encodes, and the token of
// the next page ("" on the last). Tokens are opaque to clients.
func paginate[T any](items []T, nextToken string, maxResults int) ([]T, string, error) {
	if maxResults == 0 {
		maxResults = 100
	}
	if maxResults < 1 || maxResults > 1000 {
		return nil, "", awsapi.Errorf("InvalidParameterException", 400, "MaxResults must be between 1 and 1000")
	}
	start := 0
	if nextToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(nextToken)
		n, err2 := strconv.Atoi(string(raw))
		if err != nil || err2 != nil || n < 0 || n > len(items) {
			return nil, "", awsapi.Errorf("InvalidParameterException", 400, "NextToken is not valid")
		}
		start = n
	}
	end := min(len(items), start+maxResults)
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return items[start:end], next, nil
}
