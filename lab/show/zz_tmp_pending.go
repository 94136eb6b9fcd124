package show

// TEMPORARY until the show branch lands Heatmap, Bars and Scatter.
type Heatmap struct {
	Title, RowLabel, ColLabel string
	Rows, Cols                []string
	Values                    [][]float64
	Format                    string
}

func (h *Heatmap) Text() string { return h.Title }
func (h *Heatmap) HTML() string { return h.Title }

type Bars struct {
	Title  string
	Labels []string
	Values []float64
	Max    float64
	Format string
	Unit   string
}

func (h *Bars) Text() string { return h.Title }
func (h *Bars) HTML() string { return h.Title }

type Scatter struct {
	Title, XLabel, YLabel string
	X, Y                  []float64
	Group                 []int
	GroupNames            []string
	Width, Height         int
}

func (h *Scatter) Text() string { return h.Title }
func (h *Scatter) HTML() string { return h.Title }
