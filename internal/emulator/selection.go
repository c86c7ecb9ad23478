package emulator

import "fmt"

// maxSelectionItems: a SelectionInput's static items, "Supports up to 100
// items" (https://developers.google.com/workspace/chat/api/reference/rest/v1/cards#selectioninput).
const maxSelectionItems = 100

// checkSelectionInputs refuses a card's selection input Chat would not
// show: more than 100 static items, or a multiselect allowing fewer than
// one pick ("Minimum value is 1 item").
func checkSelectionInputs(v any) error {
	switch x := v.(type) {
	case map[string]any:
		if si, ok := x["selectionInput"].(map[string]any); ok {
			items, _ := si["items"].([]any)
			if len(items) > maxSelectionItems {
				return fmt.Errorf("%w: a selection input holds at most %d items, not %d", ErrRefused, maxSelectionItems, len(items))
			}
			if n, ok := si["multiSelectMaxSelectedItems"].(float64); ok && n < 1 {
				return fmt.Errorf("%w: multiSelectMaxSelectedItems is at least 1, not %v", ErrRefused, n)
			}
		}
		for _, c := range x {
			if err := checkSelectionInputs(c); err != nil {
				return err
			}
		}
	case []any:
		for _, c := range x {
			if err := checkSelectionInputs(c); err != nil {
				return err
			}
		}
	}
	return nil
}
