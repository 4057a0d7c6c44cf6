package server

import (
	"context"
	"fmt"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
)

// stoppingLine is the last line a terminal session shows when the server
// stops: every change was committed as it was made, so nothing is lost.
const stoppingLine = "gdprdesk: the server is stopping; your work is saved"

// teaMiddleware runs the session's terminal UI, as Wish's Bubble Tea
// middleware does, and then ends the session in words: when the server
// stops, the session's last line says so (the client would otherwise see
// only "Connection closed"). A program ended because its connection
// closed or the server stops is a normal end, not an error to log.
func (sv *server) teaMiddleware(build func(ssh.Session) *tea.Program) wish.Middleware {
	return func(next ssh.Handler) ssh.Handler {
		return func(sess ssh.Session) {
			// The terminal first: a program is built (and counted among
			// the running ones) only for a session that can run it.
			_, windowChanges, ok := sess.Pty()
			if !ok {
				wish.Fatalln(sess, "gdprdesk: the terminal UI needs a terminal (ssh -t)")
				return
			}
			p := build(sess)
			if p == nil {
				next(sess)
				return
			}
			ctx, cancel := context.WithCancel(sess.Context())
			go func() {
				for {
					select {
					case <-ctx.Done():
						p.Quit()
						return
					case w := <-windowChanges:
						p.Send(tea.WindowSizeMsg{Width: w.Width, Height: w.Height})
					}
				}
			}()
			_, err := p.Run()
			p.Kill() // restores the terminal if the program did not
			cancel()
			if err != nil && sess.Context().Err() == nil && sv.stopping.Err() == nil {
				name, _ := sess.Context().Value(operatorKey{}).(string)
				sv.logf("the terminal UI of %s ended on an error: %v", name, err)
			}
			if sv.stopping.Err() != nil {
				// Whatever ended the program (the shutdown message, or
				// the connection's context as the server stops), the
				// session's last line says why; a connection already
				// gone just refuses the write.
				fmt.Fprint(sess, "\r\n"+stoppingLine+"\r\n")
			}
			next(sess)
		}
	}
}
