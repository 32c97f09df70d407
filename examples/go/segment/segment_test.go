package segment

import (
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func sample(t *testing.T) *Dataset {
	t.Helper()
	d, err := NewDataset()
	if err != nil {
		t.Fatal(err)
	}
	path := os.Getenv("SEG_SAMPLE")
	if path == "" {
		path = "../../data/cdnow_sample.txt"
	}
	if err := d.LoadCSV(path, CSV{ID: "2", Time: "3", Amount: "5", NoHeader: true}); err != nil {
		t.Fatal(err)
	}
	if err := d.ComputeFeatures("1997-09-30", "week"); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSetThreads(t *testing.T) {
	d, err := NewDataset()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.SetThreads(2); err != nil {
		t.Fatal(err)
	}
	if err := d.SetThreads(-1); err == nil {
		t.Fatal("threads -1 accepted")
	}
}

func TestModelsAndRules(t *testing.T) {
	d := sample(t)
	defer d.Close()
	if d.Len() != 2357 {
		t.Fatalf("%d customers", d.Len())
	}
	m, err := NewModel("bgnbd")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Fit(d); err != nil {
		t.Fatal(err)
	}
	r, _ := m.Result("r")
	if math.Abs(r-0.243) > 0.0005 {
		t.Fatalf("r = %v", r)
	}
	rfm, _ := NewModel("rfm")
	if err := rfm.Set("language", "zh"); err != nil {
		t.Fatal(err)
	}
	if err := rfm.Fit(d); err != nil {
		t.Fatal(err)
	}
	if err := rfm.Score(d); err != nil {
		t.Fatal(err)
	}
	segs, err := d.Labels("rfm.segment")
	if err != nil || segs[0] == "" {
		t.Fatalf("%v %v", segs[:1], err)
	}
	rules, err := ParseRules("tier \"VIP\" when monetary_total >= p80(monetary_total)\notherwise \"other\"", "t.rules")
	if err != nil {
		t.Fatal(err)
	}
	if err := rules.Apply(d, "tier"); err != nil {
		t.Fatal(err)
	}
	text, err := rules.Explain(d, "0001", false)
	if err != nil || !strings.Contains(text, "customer 0001") {
		t.Fatalf("%q %v", text, err)
	}
}

func TestErrorsCarryTheHandlesMessage(t *testing.T) {
	if _, err := NewModel("nope"); err == nil || !strings.Contains(err.Error(), "known: rfm") {
		t.Fatalf("%v", err)
	}
	if _, err := ParseRules("tier \"x\" monetary_total > 1", "bad.rules"); err == nil ||
		!strings.Contains(err.Error(), "bad.rules:1:10: expected 'when'") {
		t.Fatalf("%v", err)
	}
	d := sample(t)
	r, _ := ParseRules("tier \"x\" when monetry > 1", "t.rules")
	// many goroutines, failing at once: each error is its own handle's
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := r.Apply(d, "t")
			if err == nil || !strings.Contains(err.Error(), "did you mean 'monetary_total'") {
				t.Errorf("%v", err)
			}
			e := err.(*Error)
			if e.Code != -5 {
				t.Errorf("code %d", e.Code)
			}
		}()
	}
	wg.Wait()
}

func TestFinalizersInAnyOrder(t *testing.T) {
	d := sample(t)
	m, _ := NewModel("rfm")
	m.Fit(d)
	r, _ := ParseRules("tier \"a\" when orders > 1", "t")
	d.Close() // the dataset goes first
	d2 := sample(t)
	if err := m.Score(d2); err != nil {
		t.Fatal(err)
	}
	if err := r.Apply(d2, ""); err != nil {
		t.Fatal(err)
	}
	m, r, d2 = nil, nil, nil
	runtime.GC()
	runtime.GC()
}
