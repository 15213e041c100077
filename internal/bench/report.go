package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// WriteSummary writes the result for people: one block per phase that ran.
func (r *Result) WriteSummary(w io.Writer) error {
	var b strings.Builder
	server := "existing server at " + r.Server.Endpoint
	if r.Server.Child {
		server = fmt.Sprintf("child server (%s) at %s", r.Server.DB, r.Server.Endpoint)
	}
	fmt.Fprintf(&b, "Parley bench: %s\n", server)
	fmt.Fprintf(&b, "machine: %s/%s, %d CPUs, %s; the client runs on the same machine and shares its CPUs with the server\n",
		r.Machine.OS, r.Machine.Arch, r.Machine.CPUs, r.Machine.GoVersion)

	if s := r.Setup; s != nil {
		fmt.Fprintf(&b, "\nsetup       %d chats, %d websockets in %.2f s (%.0f chats/s)\n", s.Chats, s.Websockets, s.Seconds, s.ChatsPerSec)
		writeUsage(&b, s.Usage)
	}
	if t := r.Throughput; t != nil {
		fmt.Fprintf(&b, "\nthroughput  %d chats for %.2f s, %s\n", t.Chats, t.Seconds, t.Mode)
		fmt.Fprintf(&b, "            %d messages acknowledged: %.0f msgs/s, %d errors\n", t.Messages, t.MsgsPerSec, t.Errors)
		fmt.Fprintf(&b, "            SendMessage round trip  %s\n", formatDist(t.SendMessage))
		writeKinds(&b, t.ErrorKinds)
		writeUsage(&b, t.Usage)
	}
	if l := r.Latency; l != nil {
		fmt.Fprintf(&b, "\nlatency     %d chats for %.2f s, %s\n", l.Chats, l.Seconds, l.Mode)
		fmt.Fprintf(&b, "            target %.0f msgs/s, achieved %.0f msgs/s: %d sent, %d acknowledged, %d delivered, %d lost, %d skipped, %d errors\n",
			l.TargetRate, l.AchievedRate, l.Sent, l.Acknowledged, l.Delivered, l.Lost, l.Skipped, l.Errors)
		fmt.Fprintf(&b, "            send -> other side's websocket  %s\n", formatDist(l.Delivery))
		fmt.Fprintf(&b, "            SendMessage round trip          %s\n", formatDist(l.SendMessage))
		writeKinds(&b, l.ErrorKinds)
		writeUsage(&b, l.Usage)
	}
	if i := r.Idle; i != nil {
		fmt.Fprintf(&b, "\nidle        %d chats, %d subscribed websockets (connected in %.2f s)\n", i.Chats, i.Websockets, i.SetupSeconds)
		if i.MiBPer1000Chats != nil {
			fmt.Fprintf(&b, "            server RSS %.1f MiB -> %.1f MiB: %.1f MiB per 1000 idle chats; OS threads %d -> %d\n",
				*i.RSSBeforeMiB, *i.RSSAfterMiB, *i.MiBPer1000Chats, i.ThreadsBefore, i.ThreadsAfter)
		} else {
			fmt.Fprintf(&b, "            server memory not measured (existing server)\n")
		}
		writeUsage(&b, i.Usage)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func formatDist(d Distribution) string {
	if d.Count == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms  (mean %.2f ms, n=%d)", d.P50, d.P90, d.P99, d.Max, d.Mean, d.Count)
}

func writeUsage(b *strings.Builder, u Usage) {
	fmt.Fprintf(b, "            cpu: client %.2f cores", u.ClientCores)
	if u.ServerCores != nil {
		fmt.Fprintf(b, ", server %.2f cores", *u.ServerCores)
	}
	if u.MachineCores != nil {
		fmt.Fprintf(b, ", whole machine %.2f cores", *u.MachineCores)
	}
	b.WriteString("\n")
}

func writeKinds(b *strings.Builder, kinds map[string]int64) {
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		fmt.Fprintf(b, "            error %-40s %d\n", k, kinds[k])
	}
}
