package simulate

import (
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// proxyLine is one request in the proxy log: the egress forward proxy the
// instances use, and the edge reverse proxy in front of the public web
// shop. Field names follow Sigma's proxy taxonomy (c-ip, cs-method, cs-host,
// c-uri, …).
type proxyLine struct {
	t        time.Time
	id       string
	log      string // egress | edge
	cip      string
	method   string
	host     string
	uri      string // the full URL (CONNECT: host:port)
	status   int
	csBytes  int
	scBytes  int
	ua       string
	referrer string
	dst      string
}

func (p *proxyLine) render(w *jw) {
	stem, query, ext := p.uri, "", ""
	if u, err := url.Parse(p.uri); err == nil && p.method != "CONNECT" {
		stem, query = u.EscapedPath(), u.RawQuery
		if i := strings.LastIndexByte(stem, '.'); i >= 0 && !strings.Contains(stem[i:], "/") {
			ext = stem[i+1:]
		}
	} else if p.method == "CONNECT" {
		stem = ""
	}
	w.open()
	w.key("time")
	w.time(p.t, layoutProxy)
	w.kstr("id", p.id)
	w.kstr("x-log", p.log)
	w.kstr("c-ip", p.cip)
	w.kstr("cs-method", p.method)
	w.kstr("cs-host", p.host)
	w.kstr("c-uri", p.uri)
	w.kstr("c-uri-stem", stem)
	w.kstr("c-uri-query", query)
	w.kstr("c-uri-extension", ext)
	w.kstr("cs-version", "HTTP/1.1")
	w.kint("sc-status", int64(p.status))
	w.kint("cs-bytes", int64(p.csBytes))
	w.kint("sc-bytes", int64(p.scBytes))
	w.kstr("c-useragent", p.ua)
	w.kstr("cs-referrer", p.referrer)
	w.kstr("r-dns", p.host)
	w.kstr("dst_ip", p.dst)
	w.close()
}

var egressHosts = []string{"pypi.org", "files.pythonhosted.org", "registry.npmjs.org", "api.github.com", "objects.githubusercontent.com", "hooks.slack.com", "api.stripe.com", "api.sendgrid.com", "repo1.maven.org", "proxy.golang.org", "deb.debian.org", "dl-cdn.alpinelinux.org"}

// proxyID makes a line id: the log, the time and a random suffix.
func proxyID(r *rand.Rand, t time.Time) string {
	t = t.Truncate(time.Millisecond)
	return "px-" + strconv.FormatInt(t.UnixMilli(), 36) + "-" + randChars(r, lowerAlnum, 8)
}

func egressLine(r *rand.Rand, t time.Time, in *instance) *proxyLine {
	host := pick(r, egressHosts)
	t = t.Truncate(time.Millisecond)
	p := &proxyLine{t: t, id: proxyID(r, t), log: "egress", cip: in.ip, host: host, status: 200, ua: "", dst: "203.0.113." + strconv.Itoa(128+r.IntN(120))}
	if host == "deb.debian.org" || host == "dl-cdn.alpinelinux.org" {
		p.method = "GET"
		p.uri = "http://" + host + "/" + pick(r, []string{"debian/dists/bookworm/InRelease", "alpine/v3.20/main/x86_64/APKINDEX.tar.gz", "debian/pool/main/c/curl/libcurl4_7.88.1-10+deb12u8_amd64.deb"})
		p.ua = pick(r, []string{"Debian APT-HTTP/1.3 (2.6.1)", "apk-tools/2.14.4"})
		p.csBytes, p.scBytes = 200+r.IntN(300), 2000+r.IntN(900000)
		if r.IntN(10) == 0 {
			p.status = 304
		}
	} else {
		p.method = "CONNECT"
		p.uri = host + ":443"
		p.ua = pick(r, []string{"python-requests/2.32.3", "Go-http-client/1.1", "Apache-HttpClient/4.5.14 (Java/17.0.12)", "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)"})
		p.csBytes, p.scBytes = 500+r.IntN(5000), 3000+r.IntN(200000)
	}
	return p
}

var edgePaths = []string{"/", "/products", "/products/", "/cart", "/api/cart", "/api/session", "/static/app.3f9a1c.js", "/static/styles.8b2e.css", "/api/search", "/favicon.ico", "/api/preview"}

var customerNets = func() []*network {
	var out []*network
	for _, n := range networks {
		if n.kind == netHome || n.kind == netMobile {
			out = append(out, n)
		}
	}
	return out
}()

func edgeLine(r *rand.Rand, t time.Time, host string, in *instance) *proxyLine {
	n := pick(r, customerNets)
	path := pick(r, edgePaths)
	t = t.Truncate(time.Millisecond)
	p := &proxyLine{t: t, id: proxyID(r, t), log: "edge", cip: n.addr(r, chance(r, 0.2)), method: "GET", host: host, status: 200, dst: in.ip}
	switch path {
	case "/products/":
		path += strconv.Itoa(1000 + r.IntN(9000))
	case "/api/search":
		path += "?q=" + pick(r, []string{"shoes", "lamp", "usb-c+cable", "coffee", "backpack"})
	case "/api/preview":
		// The link-preview endpoint: fetches a URL server-side (the SSRF
		// scenario abuses it). Ordinary use names public image URLs.
		path += "?url=" + url.QueryEscape("https://cdn.example.com/img/"+randChars(r, lowerAlnum, 8)+".png")
	case "/api/cart":
		if r.IntN(3) == 0 {
			p.method = "POST"
		}
	}
	if r.IntN(25) == 0 {
		p.status = 404
	} else if strings.HasPrefix(path, "/static") && r.IntN(3) == 0 {
		p.status = 304
	}
	p.uri = "https://" + host + path
	p.ua = pick(r, []string{browserUA("macOS"), browserUA("Windows"), browserUA("Linux"), "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"})
	p.csBytes, p.scBytes = 300+r.IntN(1200), 400+r.IntN(60000)
	if path != "/" {
		p.referrer = "https://" + host + "/"
	}
	return p
}
