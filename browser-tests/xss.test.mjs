// SR-20: stored cross-site scripting. A SENCO stores the payloads of SECURITY.md §6.3 in every
// kind of free text a pupil's record holds (the pupil's names, a stage change's reason, a
// concern, a plan's nature, parent and pupil views and targets, a review's notes, a
// specialist agency's name, a report's title and file name), then the test crawls every page
// reachable from the pupil's page in headless Chromium with JavaScript on. It fails if any
// dialog opens, anything logs "xss", the Content-Security-Policy blocks anything (which would
// mean markup got through), or any element carrying an event handler or a script the page
// did not ship appears; and it checks the payloads are shown as text.
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import {
  startSenco, newBrowserContext, closeBrowser, signIn, accountFor, samplePupilFor,
  step, trackPageErrors, assertNoPageErrors
} from './lib/harness.mjs'

const PAYLOADS = [
  '<img src=x onerror=alert("xss")>',
  '<svg onload=alert("xss")>',
  '"><script>alert("xss")</script>',
  "'-alert(\"xss\")-'",
  '</textarea><script>console.log("xss")</script>',
  'javascript:alert("xss")',
  '[x](javascript:alert("xss"))',
  '{{7*7}} ${7*7} <b onmouseover=alert("xss")>bold</b>'
]
const payload = i => PAYLOADS[i % PAYLOADS.length]

/** Pages of the crawl that change state when merely visited, or leave the session. */
const SKIP = /\/(sign-out|sign-in)|\/(pdf|csv|download|export|print)(\/|\?|$)|\.(pdf|csv|xml|json)(\?|$)/

describe('SR-20: stored XSS payloads in every free-text field trigger nothing', () => {
  let senco
  before(async () => { senco = await startSenco() }, { timeout: 360_000 })
  after(async () => { await closeBrowser(); await senco?.stop() })

  test('sr_20_stored_xss_payloads_render_as_text_on_every_page', { timeout: 300_000 }, async () => {
    const account = accountFor(senco.accounts, 'senco')
    const context = await newBrowserContext({ javaScriptEnabled: true })
    const page = await context.newPage()
    trackPageErrors(page)
    const fired = []
    page.on('dialog', async dialog => { fired.push(`dialog: ${dialog.message()}`); await dialog.dismiss() })
    page.on('console', message => { if (/xss/.test(message.text())) fired.push(`console: ${message.text()}`) })
    const api = async (method, path, data, expected = [200, 201]) => {
      const r = await page.request.fetch(path, { method, data, headers: { Origin: senco.baseUrl } })
      assert.ok(expected.includes(r.status()), `${method} ${path}: ${r.status()} ${await r.text()}`)
      return r.status() === 204 ? null : r.json()
    }
    const csrf = async path => {
      await page.goto(path)
      return page.locator('input[name="csrf_token"]').first().inputValue()
    }

    let pupilId
    try {
      await step(page, 'sign in and store the payloads', async () => {
        await signIn(page, account)
        const sample = samplePupilFor(senco.samplePupils, account)
        const school = sample.school_urn
        const pupil = await api('POST', '/api/v1/pupils', {
          school_urn: String(school),
          legal_forename: payload(0),
          legal_surname: payload(1),
          preferred_forename: payload(2),
          preferred_surname: payload(4),
          date_of_birth: '2018-05-05',
          sex: 'F'
        })
        pupilId = pupil.id
        await api('POST', `/api/v1/pupils/${pupilId}/concerns`, {
          areas: ['cognition_and_learning'], details: payload(3), tried: payload(4), result: payload(5)
        })
        const frameworkStage = (await api('GET', `/api/v1/pupils/${pupilId}`)).framework
        const stage = /2014/.test(frameworkStage ?? '') ? 'sen_support' : 'school_action'
        await api('POST', `/api/v1/pupils/${pupilId}/stage-changes`, {
          stage, effective_on: '2026-10-01', reason: payload(6),
          parents_told_on: '2026-10-02', parents_told_how: 'meeting'
        }, [201, 422])
        const plan = await api('POST', `/api/v1/pupils/${pupilId}/plans`, {
          starts_on: '2026-11-02',
          review_on: '2027-02-26',
          nature: payload(0),
          help_at_home: payload(1),
          pastoral: payload(2),
          pupil_views: payload(3),
          parent_views: payload(4),
          consulted: payload(5),
          targets: [0, 1, 2].map(i => ({
            area: 'cognition_and_learning', target: payload(i + 5), strategies: payload(i + 6), success_criteria: payload(i + 7)
          }))
        }, [201, 422])
        if (plan?.id) {
          await api('PATCH', `/api/v1/plans/${plan.id}`, { status: 'agreed_with_parents', agreed_on: '2026-11-03', agreed_how: 'meeting' }, [200, 412, 422])
          await api('PATCH', `/api/v1/plans/${plan.id}`, { status: 'active' }, [200, 412, 422])
          await api('POST', `/api/v1/plans/${plan.id}/reviews`, {
            held_on: '2026-11-20',
            invited: ['parent', 'senco'],
            attended: ['parent', 'senco'],
            progress: payload(1),
            parent_views: payload(2),
            pupil_views: payload(3),
            outcomes: plan.targets.map((t, i) => ({ target_id: t.id, outcome: 'partly_achieved', evidence: payload(i) })),
            decision: 'stay',
            specialists: payload(6)
          }, [201, 422])
        }
        // A specialist agency with a payload for a name, a referral and a report whose
        // title and file name are payloads.
        const token = await csrf('/specialists')
        await page.request.post('/specialists/agencies', {
          form: { csrf_token: token, kind: 'educational_psychology', agency_name: payload(0), agency_email: 'eps@xss.example' },
          headers: { Origin: senco.baseUrl },
          maxRedirects: 0
        })
        await page.goto('/specialists')
        const agencyId = await page.locator('select#agency_id option').nth(1).getAttribute('value').catch(() => null)
        if (agencyId) {
          const referral = await api('POST', `/api/v1/pupils/${pupilId}/involvements`, {
            agency_id: agencyId, referral_on: '2026-11-05', reason: payload(7), consent_on: '2026-11-05', consent_by: payload(2)
          }, [201, 422])
          if (referral?.id) {
            const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')
            const name = encodeURIComponent('<img src=x onerror=alert("xss")>.pdf')
            const r = await page.request.post(`/api/v1/involvements/${referral.id}/reports?title=${encodeURIComponent(payload(1))}&file_name=${name}`, {
              data: pdf, headers: { 'content-type': 'application/octet-stream', Origin: senco.baseUrl }
            })
            assert.equal(r.status(), 201, await r.text())
            await api('POST', `/api/v1/involvements/${referral.id}/notes`, { kind: 'visit', on: '2026-11-16', body: payload(3) }, [201, 422])
          }
        }
      })

      const visited = new Set()
      await step(page, 'crawl every page reachable from the pupil', async () => {
        const queue = [`/pupils/${pupilId}`, '/', '/register', '/specialists', '/concerns', '/reviews']
        let shown = 0
        while (queue.length > 0 && visited.size < 80) {
          const path = queue.shift()
          if (visited.has(path)) continue
          visited.add(path)
          let response
          try {
            response = await page.goto(path)
          } catch (error) {
            if (/Download is starting/.test(error.message)) continue // a file, not a page
            throw error
          }
          if (!response || response.status() >= 400) continue
          const injected = await page.evaluate(() => {
            const bad = []
            for (const el of document.querySelectorAll('*')) {
              for (const attr of el.getAttributeNames()) {
                if (/^on/i.test(attr)) bad.push(`${el.tagName} ${attr}`)
                if (/^(href|src|action|formaction)$/i.test(attr) && /^\s*javascript:/i.test(el.getAttribute(attr))) bad.push(`${el.tagName} ${attr}=javascript:`)
              }
            }
            for (const s of document.querySelectorAll('script')) {
              if (!s.src || new URL(s.src).origin !== location.origin) bad.push('a script the page did not ship')
            }
            if (document.querySelector('img[src="x"], svg[onload], b[onmouseover]')) bad.push('payload markup')
            return bad
          })
          assert.deepEqual(injected, [], `${path}: ${injected.join(', ')}`)
          const text = await page.locator('body').innerText()
          if (PAYLOADS.some(p => text.includes(p))) shown++
          const links = await page.$$eval('a[href]', as => as.map(a => a.getAttribute('href')))
          for (const href of links) {
            const url = new URL(href, senco.baseUrl)
            if (url.origin !== senco.baseUrl || SKIP.test(url.pathname)) continue
            const next = url.pathname + url.search
            // Stay with this pupil's records and the lists that show them.
            if (next.includes(pupilId) || /^\/(plans|reviews|involvements|reports|concerns|register|specialists)\b/.test(url.pathname)) {
              if (!visited.has(next)) queue.push(next)
            }
          }
        }
        assert.ok(visited.size >= 10, `the crawl reached ${visited.size} pages: ${[...visited].join(' ')}`)
        assert.ok(shown >= 5, `the payloads are shown as text on at least 5 pages (shown on ${shown})`)
      })
      assert.deepEqual(fired, [], `a payload ran:\n${fired.join('\n')}`)
      assertNoPageErrors(page)
      console.log(`# sr_20: ${visited.size} pages crawled`)
    } finally {
      await context.close()
    }
  })
})
