package simulate

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ciJob is one CI job (GitHub Actions shaped): it assumes the deploy role
// through OIDC from a hosted runner, calls AWS (and GCP through workload
// identity federation), and writes a build log.
type ciJob struct {
	repo     *repo
	runID    int64
	name     string // build-and-deploy | terraform-plan | terraform-apply
	workflow string
	branch   string
	runner   string
	machine  string
	ip       string
	start    time.Time
	end      time.Time
	cred     *awsCred
	leak     *ciLeak
	sess     *session
	seed     uint64
}

// ciLeak makes a job print credentials in clear (the leak scenario).
type ciLeak struct {
	kind   string // aws | gcp | entra
	at     time.Time
	secret string // the secret value printed (session token, OAuth token, JWT)
	lines  []int  // line numbers written (filled when rendered)
	ids    []string
	times  []time.Time
}

const (
	runnerCLIUA    = "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off"
	configureAWSUA = "aws-sdk-js/3.699.0 ua/2.1 os/linux#6.5.0-1025-azure lang/js md/nodejs#20.18.0 api/sts#3.699.0 m/E,N configure-aws-credentials-for-github-actions"
	dockerUA       = "docker/27.3.1 go/go1.22.7 git-commit/41ca978 kernel/6.5.0-1025-azure os/linux arch/amd64 UpstreamClient(Docker-Client/27.3.1 \\(linux\\))"
)

var terraformReads = []string{
	"ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances", "ec2:DescribeImages",
	"iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "s3:GetBucketPolicy", "s3:GetBucketAcl",
	"s3:GetBucketVersioning", "s3:GetBucketEncryption", "s3:GetBucketTagging", "kms:DescribeKey", "lambda:GetFunction20150331v2",
	"dynamodb:DescribeTable", "logs:DescribeLogGroups", "ecs:DescribeServices", "ecs:DescribeTaskDefinition", "elasticloadbalancing:DescribeLoadBalancers",
}

var terraformSmallWrites = []string{"iam:TagRole", "ec2:CreateTags", "lambda:UpdateFunctionConfiguration20150331v2", "ssm:PutParameter"}

func (cat *awsCatalog) short(s string) *awsOp {
	src, n, _ := strings.Cut(s, ":")
	return cat.op(src+".amazonaws.com", n)
}

// ciDay plans one repository's jobs on day d.
func (p *planner) ciDay(rp *repo, d int64) []*session {
	r := derive(p.seed, tagPlan, 7, uint64(rp.idx), uint64(d))
	wd := weekday(d)
	n := 0
	if wd == 0 || wd == 6 {
		n = poisson(r, 0.3)
	} else {
		n = poisson(r, rp.jobsDay)
	}
	var out []*session
	for i := 0; i < n; i++ {
		start := at(float64(d*86400) + (7+14*r.Float64())*3600)
		name := "build-and-deploy"
		if rp.terraform {
			name = "terraform-plan"
			if chance(r, 0.35) {
				name = "terraform-apply"
			}
		}
		var iam []iamChange
		if name == "terraform-apply" {
			iam = terraformIAM(derive(p.seed, tagPlan, 14, uint64(rp.idx), uint64(d), uint64(i)), rp)
		}
		out = append(out, p.ciJobSession(r, rp, start, name, nil, iam))
	}
	if rp.terraform {
		out = append(out, p.ciSession(r, rp, at(float64(d*86400+2*3600)+1200*r.Float64()), "terraform-plan", nil))
	}
	return out
}

// ciSession plans one job and its calls.
func (p *planner) ciSession(r *rand.Rand, rp *repo, start time.Time, name string, leak *ciLeak) *session {
	return p.ciJobSession(r, rp, start, name, leak, nil)
}

// ciJobSession plans one job and its calls; a terraform-apply job also
// makes the IAM changes iam.
func (p *planner) ciJobSession(r *rand.Rand, rp *repo, start time.Time, name string, leak *ciLeak, iam []iamChange) *session {
	runners := networksOf(netCI)[0]
	job := &ciJob{repo: rp, runID: 11000000000 + int64(r.IntN(900000000)), name: name, branch: "main", ip: runners.addr(r, false), start: start, leak: leak, seed: r.Uint64()}
	job.runner = "GitHub Actions " + strconv.Itoa(1+r.IntN(900))
	job.machine = "fv-az" + strconv.Itoa(100+r.IntN(900)) + "-" + strconv.Itoa(100+r.IntN(900))
	job.workflow = "deploy.yml"
	if strings.HasPrefix(name, "terraform") {
		job.workflow = "terraform.yml"
		if name == "terraform-plan" && chance(r, 0.5) {
			job.branch = "feature/" + pick(r, []string{"bump-deps", "new-queue", "rotate-keys", "tune-alarms", "add-bucket"})
		}
	}
	s := &session{kind: skCIJob, cloud: cCI, seed: job.seed, start: start, rp: rp, ip: job.ip, job: job, acct: rp.acct, region: rp.region}
	job.sess = s
	s.steps = append(s.steps, step{t: start, cloud: cCI, kind: stCILog})
	t := start.Add(time.Duration(15+r.IntN(40)) * time.Second)
	a := rp.acct
	issued := t
	sessName := "GitHubActions"
	cred := &awsCred{key: accessKeyID(r, "ASIA"), token: sessionToken(r), issued: issued, expires: issued.Add(time.Hour), role: a.ciRole, sessionName: sessName, acct: a}
	cred.ident = identAssumedRole(a.ciRole, sessName, cred.key, issued, false, "", a.oidcProvider)
	cred.arn = "arn:aws:sts::" + a.id + ":assumed-role/" + a.ciRole.name + "/" + sessName
	job.cred = cred
	s.cred = cred
	s.steps = append(s.steps, step{t: t, cloud: cAWS, kind: stAssumeOIDC, ua: configureAWSUA})
	call := func(dt time.Duration, op string, ua string) {
		t = t.Add(dt)
		s.steps = append(s.steps, step{t: t, cloud: cAWS, kind: stAWSCall, op: p.cat.short(op), ua: ua})
	}
	sec := func(lo, hi int) time.Duration {
		return time.Duration(lo*1000+r.IntN((hi-lo)*1000+1)) * time.Millisecond
	}
	call(sec(2, 5), "sts:GetCallerIdentity", runnerCLIUA)
	if leak != nil {
		leak.at = t.Add(sec(1, 3))
		t = leak.at
	}
	switch name {
	case "build-and-deploy":
		call(sec(40, 150), "ecr:GetAuthorizationToken", runnerCLIUA)
		for i := 0; i < 2+r.IntN(3); i++ {
			call(sec(1, 3), "ecr:BatchCheckLayerAvailability", dockerUA)
		}
		call(sec(1, 2), "ecr:InitiateLayerUpload", dockerUA)
		call(sec(5, 30), "ecr:CompleteLayerUpload", dockerUA)
		call(sec(1, 3), "ecr:PutImage", dockerUA)
		call(sec(2, 6), "s3:PutObject", runnerCLIUA)
		call(sec(2, 5), "ecs:DescribeTaskDefinition", runnerCLIUA)
		call(sec(1, 2), "ecs:RegisterTaskDefinition", runnerCLIUA)
		call(sec(1, 2), "ecs:UpdateService", runnerCLIUA)
		for i := 0; i < 2+r.IntN(4); i++ {
			call(sec(10, 20), "ecs:DescribeServices", runnerCLIUA)
		}
	default:
		tf := func(op string) string {
			src, _, _ := strings.Cut(op, ":")
			return terraformUA(r, src)
		}
		call(sec(20, 60), "s3:GetObject", tf("s3:GetObject"))
		for i, n := 0, 15+r.IntN(26); i < n; i++ {
			op := pick(r, terraformReads)
			call(time.Duration(50+r.IntN(900))*time.Millisecond, op, tf(op))
		}
		if name == "terraform-apply" {
			for i, n := 0, 1+r.IntN(3); i < n; i++ {
				op := terraformSmallWrites[(i+r.IntN(len(terraformSmallWrites)))%len(terraformSmallWrites)]
				call(sec(2, 10), op, tf(op))
			}
			for _, ch := range iam {
				t = t.Add(sec(2, 15))
				st := step{t: t, cloud: cAWS, kind: stAWSCall, op: p.cat.short(ch.op), ua: tf(ch.op), req: ch.req}
				if ch.resp != nil {
					st.resp = ch.resp(t.Truncate(time.Second))
				}
				s.steps = append(s.steps, st)
			}
			call(sec(1, 3), "s3:PutObject", tf("s3:PutObject"))
		}
	}
	if pr := rp.project; pr != nil {
		s.proj = pr
		t = t.Add(sec(2, 6))
		s.steps = append(s.steps, step{t: t, cloud: cGCP, kind: stGCPToken})
		for i, n := 0, 3+r.IntN(6); i < n; i++ {
			t = t.Add(sec(1, 8))
			s.steps = append(s.steps, step{t: t, cloud: cGCP, kind: stGCPCall, gm: p.gcat.profiles["ci"].pick(r)})
		}
	}
	job.end = t.Add(sec(5, 20))
	s.end = job.end
	return s
}

// secretLine finds the credentials a leak prints.
var secretLine = regexp.MustCompile(`ASIA[A-Z2-7]{9}EXAMPLE|IQoJb3JpZ2lu|ya29\.|eyJ[A-Za-z0-9_-]+\.eyJ|AWS_SECRET_ACCESS_KEY=`)

// ciLine is one line of a job log.
type ciLine struct {
	t   time.Time
	msg string
}

// ciOutput is a rendered job: the text log file and its lines as JSON.
type ciOutput struct {
	path  string
	text  []byte
	jsonl []byte
	ids   []string // JSONL line ids in order
}

func ciLineID(job *ciJob, n int) string {
	return strconv.FormatInt(job.runID, 10) + "/" + job.name + "/" + strconv.Itoa(n)
}

// renderCI writes the job log as GitHub Actions prints it, and the same
// lines as JSON objects (time, id, repository, pipeline, run_id, job,
// runner, line, message) for hunting.
func renderCI(job *ciJob) *ciOutput {
	r := derive(job.seed, tagFile)
	var lines []ciLine
	t := job.start
	add := func(dt time.Duration, msg ...string) {
		t = t.Add(dt)
		for _, m := range msg {
			lines = append(lines, ciLine{t, m})
			t = t.Add(time.Duration(r.IntN(40)) * time.Millisecond)
		}
	}
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	rp, a := job.repo, job.repo.acct
	add(0, "Current runner version: '2.321.0'", "Runner name: '"+job.runner+"'", "Runner group name: 'GitHub Actions'", "Machine name: '"+job.machine+"'",
		"##[group]Operating System", "Ubuntu", "22.04.5", "LTS", "##[endgroup]",
		"##[group]GITHUB_TOKEN Permissions", "Contents: read", "IdToken: write", "Metadata: read", "##[endgroup]",
		"Secret source: Actions", "Prepare workflow directory", "Prepare all required actions", "Getting action download info",
		"Download action repository 'actions/checkout@v4' (SHA:11bd71901bbe5b1630ceea73d27597364c9af683)",
		"Download action repository 'aws-actions/configure-aws-credentials@v4' (SHA:e3dd6a429d7300a6a4c196c26e071d42e0343502)",
		"Complete job name: "+job.name)
	add(ms(800), "##[group]Run actions/checkout@v4", "with:", "  repository: "+rp.name, "  ref: "+job.branch, "##[endgroup]",
		"Syncing repository: "+rp.name, "Fetching the repository", "/usr/bin/git -c protocol.version=2 fetch --no-tags --prune --no-recurse-submodules --depth=1 origin +refs/heads/"+job.branch)
	// The credential step lines up with the AssumeRoleWithWebIdentity call.
	var assume time.Time
	for _, st := range job.sess.steps {
		if st.kind == stAssumeOIDC {
			assume = st.t
		}
	}
	if assume.After(t) {
		t = assume.Add(-ms(300))
	}
	region := rp.region
	add(0, "##[group]Run aws-actions/configure-aws-credentials@v4", "with:", "  role-to-assume: "+a.ciRole.arn, "  aws-region: "+region, "  audience: sts.amazonaws.com", "##[endgroup]",
		"Assuming role with OIDC")
	add(ms(600), "Authenticated as assumedRoleId "+a.ciRole.id+":GitHubActions")
	envBlock := []string{"env:", "  AWS_DEFAULT_REGION: " + region, "  AWS_REGION: " + region, "  AWS_ACCESS_KEY_ID: ***", "  AWS_SECRET_ACCESS_KEY: ***", "  AWS_SESSION_TOKEN: ***"}
	add(ms(1500), append([]string{"##[group]Run aws sts get-caller-identity", "aws sts get-caller-identity", "shell: /usr/bin/bash -e {0}"}, envBlock...)...)
	add(0, "##[endgroup]", "{", `    "UserId": "`+a.ciRole.id+`:GitHubActions",`, `    "Account": "`+a.id+`",`, `    "Arn": "arn:aws:sts::`+a.id+`:assumed-role/`+a.ciRole.name+`/GitHubActions"`, "}")
	leakFrom := -1
	if lk := job.leak; lk != nil {
		if lk.at.After(t) {
			t = lk.at
		}
		leakFrom = len(lines)
		switch lk.kind {
		case "aws":
			add(0, "##[group]Run aws configure export-credentials --format env", "aws configure export-credentials --format env", "shell: /usr/bin/bash -e {0}", "##[endgroup]",
				"export AWS_ACCESS_KEY_ID="+job.cred.key, "export AWS_SECRET_ACCESS_KEY="+secretAccessKey(r), "export AWS_SESSION_TOKEN="+job.cred.token,
				"export AWS_CREDENTIAL_EXPIRATION="+job.cred.expires.UTC().Format("2006-01-02T15:04:05+00:00"))
			lk.secret = job.cred.token
		case "gcp":
			add(0, "##[group]Run gcloud auth print-access-token", "gcloud auth print-access-token", "shell: /usr/bin/bash -e {0}", "##[endgroup]", lk.secret)
		case "entra":
			add(0, "##[group]Run az account get-access-token --output json", "az account get-access-token --output json", "shell: /usr/bin/bash -e {0}", "##[endgroup]",
				"{", `  "accessToken": "`+lk.secret+`",`, `  "expiresOn": "`+t.Add(time.Hour).UTC().Format("2006-01-02 15:04:05.000000")+`",`, `  "tokenType": "Bearer"`, "}")
		}
		for i := leakFrom; i < len(lines); i++ {
			if secretLine.MatchString(lines[i].msg) {
				lk.lines = append(lk.lines, i+1)
			}
		}
	}
	switch job.name {
	case "build-and-deploy":
		app := strings.TrimPrefix(rp.name, ghOrg+"/")
		img := a.id + ".dkr.ecr." + region + ".amazonaws.com/" + ghOrg + "/" + app
		add(ms(900), "##[group]Run docker build -t "+img+":sha-"+randChars(r, hexLower, 7)+" .", "##[endgroup]", "#0 building with \"default\" instance using docker driver", "#1 [internal] load build definition from Dockerfile", "#1 DONE 0.0s")
		for i := 2; i < 8; i++ {
			add(ms(300+r.IntN(9000)), fmt.Sprintf("#%d [%d/7] RUN %s", i, i, pick(r, []string{"go build ./...", "npm ci", "pip install -r requirements.txt", "apt-get update", "make test"})), fmt.Sprintf("#%d DONE %.1fs", i, 0.5+20*r.Float64()))
		}
		add(ms(500), "##[group]Run aws ecr get-login-password | docker login --username AWS --password-stdin "+a.id+".dkr.ecr."+region+".amazonaws.com", "##[endgroup]", "Login Succeeded")
		add(ms(4000), "The push refers to repository ["+img+"]", "latest: digest: sha256:"+randChars(r, hexLower, 64)+" size: 2417")
		add(ms(3000), "##[group]Run aws ecs update-service --cluster "+a.clusters[0]+" --service "+app+" --force-new-deployment", "##[endgroup]", "Waiting for service "+app+" to become stable...")
	default:
		add(ms(1200), "##[group]Run terraform init -input=false", "##[endgroup]", "Initializing the backend...", "Successfully configured the backend \"s3\"! Terraform will automatically", "use this backend unless the backend configuration changes.", "Initializing provider plugins...", "- Using previously-installed hashicorp/aws v5.82.2", "Terraform has been successfully initialized!")
		add(ms(2000), "##[group]Run terraform plan -input=false -out=tfplan", "##[endgroup]")
		for i := 0; i < 4+r.IntN(6); i++ {
			add(ms(200+r.IntN(800)), fmt.Sprintf("%s: Refreshing state... [id=%s]", pick(r, []string{"aws_s3_bucket.artifacts", "aws_iam_role.app", "aws_security_group.web", "aws_lambda_function.worker", "aws_dynamodb_table.orders", "aws_kms_key.data"}), randChars(r, lowerAlnum, 12)))
		}
		if job.name == "terraform-apply" {
			add(ms(1500), "Plan: 0 to add, "+strconv.Itoa(1+r.IntN(3))+" to change, 0 to destroy.", "##[group]Run terraform apply -input=false tfplan", "##[endgroup]", "Apply complete! Resources: 0 added, 2 changed, 0 destroyed.")
		} else {
			add(ms(1500), "No changes. Your infrastructure matches the configuration.")
		}
	}
	add(ms(800), "Post job cleanup.", "Cleaning up orphan processes")
	if job.leak != nil {
		for _, n := range job.leak.lines {
			job.leak.ids = append(job.leak.ids, ciLineID(job, n))
			job.leak.times = append(job.leak.times, lines[n-1].t.Truncate(100*time.Nanosecond))
		}
	}

	out := &ciOutput{path: fmt.Sprintf("ci/logs/%s/%s/%d/%s.txt", job.start.UTC().Format("2006/01/02"), rp.name, job.runID, job.name)}
	var text []byte
	var w jw
	for i, l := range lines {
		text = l.t.UTC().AppendFormat(text, layoutCILine)
		text = append(text, ' ')
		text = append(text, l.msg...)
		text = append(text, '\n')
		id := ciLineID(job, i+1)
		w.open()
		w.key("time")
		w.time(l.t, layoutCILine)
		w.kstr("id", id)
		w.kstr("repository", rp.name)
		w.kstr("pipeline", job.workflow)
		w.kstr("run_id", strconv.FormatInt(job.runID, 10))
		w.kstr("job", job.name)
		w.kstr("runner", job.runner)
		w.kint("line", int64(i+1))
		w.kstr("message", l.msg)
		w.close()
		w.b = append(w.b, '\n')
		w.comma = false
		out.ids = append(out.ids, id)
	}
	out.text = text
	out.jsonl = w.b
	return out
}
