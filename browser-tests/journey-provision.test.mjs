// Journey (issue 5, "Provision map, delivered provision, and outside specialists"): the SENCO
// of a primary school sets up a small-group reading provision, run by one of the school's
// teaching assistants, and allocates three pupils with entry scores (a reading age in months);
// the teaching assistant records six weeks of sessions for the whole group on the register
// page, two of them cancelled by the school; the shortfall (4 of 6 planned sessions provided,
// below the 90% threshold) shows on the pupil's page and on the parent's view of their child;
// exit scores give an impact figure (gains 8, 5 and 5: average +6.0, 1 of 3 meeting the
// expected gain of 6); and an educational psychologist's involvement, with an uploaded report,
// appears in the pupil's chronology. Along the way: a provision with impossible minutes is
// refused and keeps what was typed, a session recorded twice is refused, and a web page
// dressed up as a PDF is refused.
// Run with JavaScript on (axe on every new page, no page errors) and off, each pass with its
// own provision and its own three children.
//
// Which children: the first of the three is a child of a parent account of the SENCO's
// school (accounts with role "parent" and the same school_urn, in the order of the seed's
// JSON; children in the order of the parent's "Your children" list; a parent whose contact
// record is restricted sees no children and is passed over), so the parent's view shows the
// very allocation the teaching assistant recorded. The other two are the first pupils of the
// SENCO's Pupils list not used by an earlier pass.
//
// Which dates: a shortfall must not depend on the day the test runs. The allocations are in
// the previous academic year's second autumn half-term, which the demo calendar always holds
// (it is before today whatever today is), with no bank holidays or INSET days in it: with
// Y = the year the previous academic year started, the half-term starts on the Monday 7 days
// after the last Monday of October of Y, and the allocation runs for six school weeks, to the
// Friday 39 days later. Sessions are on the six Mondays. One session a week makes 6 planned
// sessions, all in the past, so every one counts: 4 provided of 6 is 66%.
//
// The provision map shows one school year, this one first (its caption names the year), so a
// provision that ran last school year is not on it: the map is checked for that, for its
// costs and for its CSV download, then for last year's map, where the three pupils are.
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import {
  startSenco, newBrowserContext, closeBrowser, signIn, checkAccessibility,
  step, trackPageErrors, assertNoPageErrors
} from './lib/harness.mjs'

/** The SENCO and a teaching assistant of a primary school that has parent accounts. */
function primaryStaff (accounts) {
  const sencos = accounts.filter(a => a.role === 'senco' && /Primary/.test(a.school_name || ''))
  for (const senco of sencos) {
    const ta = accounts.find(a => a.role === 'teaching_assistant' && a.school_urn === senco.school_urn)
    const parents = accounts.filter(a => a.role === 'parent' && a.school_urn === senco.school_urn)
    if (ta && parents.length > 0) return { senco, ta, parents }
  }
  throw new Error('the demo data has no primary school with a SENCO, a teaching assistant and parent accounts')
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
  'September', 'October', 'November', 'December']

/** A date (UTC midnight) as its three date-input boxes. */
function parts (date) {
  return { day: String(date.getUTCDate()), month: String(date.getUTCMonth() + 1), year: String(date.getUTCFullYear()) }
}

/** A date as Senco writes it: "3 November 2025". */
function longDate (date) {
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`
}

function addDays (date, n) {
  return new Date(date.getTime() + n * 86_400_000)
}

/** Today in London (the server's today), as a UTC-midnight date. */
function londonToday () {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London', year: 'numeric', month: 'numeric', day: 'numeric'
  }).formatToParts(new Date()).map(x => [x.type, x.value]))
  return new Date(Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day)))
}

/** The previous academic year's second autumn half-term: six weeks, Monday to Friday. */
function lastYearsAutumnTwo () {
  const today = londonToday()
  const thisYearStarts = today.getUTCMonth() >= 8 ? today.getUTCFullYear() : today.getUTCFullYear() - 1
  const y = thisYearStarts - 1
  let october = new Date(Date.UTC(y, 9, 31))
  while (october.getUTCDay() !== 1) october = addDays(october, -1)
  const start = addDays(october, 7)
  return {
    start,
    end: addDays(start, 39),
    sessions: [0, 1, 2, 3, 4, 5].map(k => addDays(start, 7 * k)),
    schoolYear: `${thisYearStarts}/${String((thisYearStarts + 1) % 100).padStart(2, '0')}`,
    lastYearStarts: y,
    lastSchoolYear: `${y}/${String((y + 1) % 100).padStart(2, '0')}`
  }
}

async function fillDate (page, name, d) {
  await page.fill(`#${name}-day`, d.day)
  await page.fill(`#${name}-month`, d.month)
  await page.fill(`#${name}-year`, d.year)
}

/** The success banner (flash) of a page, after a redirect. */
async function successBanner (page) {
  const banner = page.locator('.govuk-notification-banner--success')
  await banner.waitFor()
  return (await banner.innerText()).trim()
}

/** The error summary of a page refusing a form. */
async function errorSummary (page) {
  const summary = page.locator('.govuk-error-summary')
  await summary.waitFor()
  return (await summary.innerText()).trim()
}

/** The rows of a CSV file (quoted fields, "" for a quote inside one, CRLF line ends). */
function parseCsv (text) {
  const rows = []
  let row = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++ } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') { row.push(field); field = '' } else if (c === '\n') { row.push(field.replace(/\r$/, '')); rows.push(row); row = []; field = '' } else field += c
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row) }
  return rows
}

/** The service navigation's link (Provision, Pupils, Specialists). */
function navLink (page, name) {
  return page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name, exact: true })
}

/** The row of a table (a pupil's provision table, the impact report…) with a link named `name`. */
function rowWithLink (page, name) {
  return page.locator('tr', { has: page.getByRole('link', { name, exact: true }) })
}

/** Reading ages in months: entry, exit. Gains 8, 5, 5: average 6, one meets the expected 6. */
const SCORES = [[84, 92], [78, 83], [90, 95]]
const EXPECTED_GAIN = 6
const CANCELLED = new Set([1, 3])
const CANCEL_REASON = 'Teaching assistant covering a class'
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')
const NOT_A_PDF = Buffer.from('<!DOCTYPE html>\n<html><head><title>Report</title></head><body><p>Not a PDF</p></body></html>\n')
const REPORT_TITLE = 'Educational psychology assessment'
const EP_AGENCY = 'Educational Psychology Service'

describe('journey: provision delivered, measured and an outside specialist involved', () => {
  let senco
  /** Pupils already taken by a pass (by path), so that each pass has its own children. */
  const used = new Set()

  before(async () => {
    senco = await startSenco()
  }, { timeout: 360_000 })

  after(async () => {
    await closeBrowser()
    await senco?.stop()
  })

  for (const javaScriptEnabled of [true, false]) {
    const mode = javaScriptEnabled ? 'JavaScript on' : 'JavaScript off'

    test(`a reading provision: allocate, record sessions, see the shortfall and impact, refer to an educational psychologist (${mode})`, { timeout: 300_000 }, async () => {
      const { senco: sencoAccount, ta, parents } = primaryStaff(senco.accounts)
      const a11y = async (page, label) => { if (javaScriptEnabled) await checkAccessibility(page, `provision-${label}-js`) }
      const provisionName = `Reading catch-up (${mode})`
      const dates = lastYearsAutumnTwo()
      const entryOn = parts(addDays(dates.start, -3))
      const exitOn = parts(dates.end)
      const staffLabel = `${ta.name} (Teaching assistant)`

      // The parent: signs in and finds a child of theirs not used by an earlier pass.
      // Their context stays open for step 4.
      let parentContext, pp, childPath, childName
      for (const account of parents) {
        const context = await newBrowserContext({ javaScriptEnabled })
        const page = await context.newPage()
        if (javaScriptEnabled) trackPageErrors(page)
        await step(page, `${mode} parent ${account.email} lists their children`, async () => {
          await signIn(page, account)
          // A parent whose contact record is restricted sees no children.
          if (await page.getByRole('heading', { name: 'Your children', exact: true }).count() === 0) return
          const links = await page.locator('xpath=//h2[normalize-space()="Your children"]/following-sibling::ul[1]//a')
            .evaluateAll(as => as.map(a => ({ href: a.getAttribute('href'), name: a.textContent.trim() })))
          const link = links.find(l => /^\/pupils\/[^/]+$/.test(l.href) && !used.has(l.href))
          if (link) {
            childPath = link.href
            childName = link.name
          }
        }).catch(async error => { await context.close(); throw error })
        if (childPath) {
          parentContext = context
          pp = page
          break
        }
        await context.close()
      }
      assert.ok(childPath, `no parent account at ${sencoAccount.school_name} sees a child not used by an earlier pass`)
      used.add(childPath)

      const context = await newBrowserContext({ javaScriptEnabled })
      const page = await context.newPage()
      if (javaScriptEnabled) trackPageErrors(page)
      let taContext
      /** The three pupils: { path, name, entry, exit }; the parent's child first. */
      const pupils = []
      let provisionPath
      try {
        // 0. The SENCO takes two more pupils from the Pupils list.
        await step(page, `${mode} SENCO picks two more pupils from the Pupils list`, async () => {
          await signIn(page, sencoAccount)
          await navLink(page, 'Pupils').click()
          await page.waitForURL(url => url.pathname === '/pupils')
          const links = await page.locator('main table a[href^="/pupils/"]')
            .evaluateAll(as => as.map(a => ({ href: a.getAttribute('href'), name: a.textContent.trim() })))
          const others = links.filter(l => /^\/pupils\/[^/]+$/.test(l.href) && !used.has(l.href)).slice(0, 2)
          assert.equal(others.length, 2, `the Pupils list has two pupils not used yet (of ${links.length})`)
          // The list names pupils "Surname, Forename"; their page, "Forename Surname".
          pupils.push({ path: childPath, name: childName, search: childName.split(' ').pop() },
            ...others.map(l => ({ path: l.href, name: null, search: l.name.split(',')[0].trim() })))
          for (const [i, p] of pupils.entries()) {
            used.add(p.path)
            p.entry = SCORES[i][0]
            p.exit = SCORES[i][1]
          }
        })

        // 1. The provision: refused once (minutes per session -5), then saved.
        await step(page, `${mode} SENCO adds a provision with impossible minutes`, async () => {
          await navLink(page, 'Provision').click()
          await page.waitForURL(url => url.pathname === '/provision')
          assert.equal((await page.locator('h1').innerText()).trim(), 'Provision')
          await a11y(page, 'list')
          await page.getByRole('link', { name: 'Add a provision', exact: true }).click()
          await page.waitForURL(url => url.pathname === '/provision/new')
          assert.equal((await page.locator('h1').innerText()).trim(), 'Add a provision')
          await a11y(page, 'form')
          await page.getByLabel('Provision', { exact: true }).fill(provisionName)
          await page.getByRole('group', { name: 'Kind of provision' }).getByLabel('Small group', { exact: true }).check()
          await page.getByLabel('Area of need', { exact: true }).selectOption({ label: 'Cognition and learning' })
          await page.getByLabel('Staff role', { exact: true }).fill('Teaching assistant')
          await page.getByLabel('Who runs it (optional)', { exact: true }).selectOption({ label: staffLabel })
          await page.getByLabel('Group size', { exact: true }).fill('3')
          await page.getByLabel('Sessions per week', { exact: true }).fill('1')
          await page.getByLabel('Minutes per session', { exact: true }).fill('-5')
          await page.getByLabel('Staff time: an hourly cost, shared by the group', { exact: true }).check()
          await page.getByLabel('Cost', { exact: true }).fill('18')
          await page.getByLabel('Expected gain (optional)', { exact: true }).fill(String(EXPECTED_GAIN))
          await page.getByRole('button', { name: 'Save provision', exact: true }).click()
          const summary = await errorSummary(page)
          assert.match(summary, /Minutes per session must be between 1 and \d+/, `the error summary names the problem:\n${summary}`)
          assert.equal(await page.locator('.govuk-error-summary a[href="#minutes_per_session"]').count(), 1,
            'the error links to the minutes field')
          assert.equal(await page.inputValue('#name'), provisionName, 'the typed name is kept')
          assert.equal(await page.inputValue('#minutes_per_session'), '-5', 'the typed minutes are kept')
          assert.equal(await page.inputValue('#staff_user_id'), await page.locator('#staff_user_id option', { hasText: staffLabel }).getAttribute('value'))
          assert.match(await page.title(), /^Error: /)
          await a11y(page, 'form-error')
        })

        await step(page, `${mode} SENCO saves the provision`, async () => {
          await page.getByLabel('Minutes per session', { exact: true }).fill('30')
          await page.getByRole('button', { name: 'Save provision', exact: true }).click()
          await page.waitForURL(url => /^\/provision\/[^/]+$/.test(url.pathname) && url.pathname !== '/provision/new')
          assert.match(await successBanner(page), /Provision saved/)
          provisionPath = new URL(page.url()).pathname
          assert.equal((await page.locator('h1').innerText()).trim(), provisionName)
          assert.equal((await page.locator('.govuk-caption-l').innerText()).trim(), 'Small group')
          const main = await page.locator('main').innerText()
          assert.match(main, /Cognition and learning/)
          assert.match(main, /1 x 30 min a week, group of 3/)
          assert.ok(main.includes(`${ta.name} (Teaching assistant)`), `the provision is run by ${ta.name}:\n${main}`)
          assert.match(main, /£18\.00 an hour/)
          assert.match(main, /No pupils allocated/)
          await a11y(page, 'page-new')
        })

        // 2. Three pupils allocated, with entry scores.
        for (const [i, pupil] of pupils.entries()) {
          await step(page, `${mode} SENCO allocates pupil ${i + 1}`, async () => {
            await navLink(page, 'Pupils').click()
            await page.waitForURL(url => url.pathname === '/pupils')
            await page.getByLabel('Name or UPN', { exact: true }).fill(pupil.search)
            await page.getByRole('button', { name: 'Search', exact: true }).click()
            const link = page.locator(`main table a[href="${pupil.path}"]`).first()
            await link.waitFor()
            await link.click()
            await page.waitForURL(url => url.pathname === pupil.path)
            const h1 = (await page.locator('h1').innerText()).trim()
            if (pupil.name) assert.equal(h1, pupil.name)
            pupil.name = h1
            await page.getByRole('link', { name: 'Allocate to a provision', exact: true }).click()
            await page.waitForURL(url => url.pathname === `${pupil.path}/allocations/new`)
            assert.equal((await page.locator('h1').innerText()).trim(), 'Allocate to a provision')
            assert.equal((await page.locator('main .govuk-caption-l').innerText()).trim(), pupil.name)
            if (i === 0) await a11y(page, 'allocation-form')
            await page.getByLabel('Which provision?', { exact: true }).selectOption({ label: `${provisionName} (Small group)` })
            await fillDate(page, 'from_on', parts(dates.start))
            await fillDate(page, 'to_on', parts(dates.end))
            await page.getByLabel('What is measured', { exact: true }).fill('Reading age')
            await page.getByLabel('Unit', { exact: true }).selectOption({ label: 'Age in months' })
            await page.getByLabel('Entry score', { exact: true }).fill(String(pupil.entry))
            await fillDate(page, 'entry_on', entryOn)
            await page.getByRole('button', { name: 'Allocate', exact: true }).click()
            await page.waitForURL(url => url.pathname === pupil.path)
            assert.match(await successBanner(page), /Pupil allocated to the provision/)
            const row = rowWithLink(page, provisionName)
            assert.equal(await row.count(), 1, `the pupil's provision table lists ${provisionName}`)
            const text = await row.innerText()
            assert.ok(text.includes(`${longDate(dates.start)} to ${longDate(dates.end)}`), `the allocation's dates:\n${text}`)
            assert.match(text, /\b0 of 6\b/, `nothing is recorded yet of 6 planned sessions:\n${text}`)
            assert.ok(text.includes(`Entry: ${pupil.entry} (${longDate(addDays(dates.start, -3))})`), `the entry score:\n${text}`)
            pupil.allocationPath = await row.getByRole('link', { name: provisionName, exact: true }).getAttribute('href')
            assert.match(pupil.allocationPath, /^\/allocations\/[^/]+$/)
            if (i === 0) await a11y(page, 'pupil-allocated')
          })
        }

        await step(page, `${mode} the provision lists its three pupils`, async () => {
          await page.goto(provisionPath)
          for (const p of pupils) {
            assert.equal(await page.locator(`main table a[href="${p.allocationPath}"]`).count(), 1, `${p.name} is on the provision's page`)
          }
        })

        // 3. The teaching assistant records six weeks on the group register, two cancelled.
        taContext = await newBrowserContext({ javaScriptEnabled })
        const tp = await taContext.newPage()
        if (javaScriptEnabled) trackPageErrors(tp)
        await step(tp, `${mode} teaching assistant opens the provision`, async () => {
          await signIn(tp, ta)
          await navLink(tp, 'Provision').click()
          await tp.waitForURL(url => url.pathname === '/provision')
          await tp.getByRole('link', { name: provisionName, exact: true }).click()
          await tp.waitForURL(url => url.pathname === provisionPath)
          assert.equal((await tp.locator('h1').innerText()).trim(), provisionName)
          assert.ok(!(await tp.locator('main').innerText()).includes('£'), 'a teaching assistant sees no costs')
          assert.equal(await tp.getByRole('link', { name: 'Change this provision' }).count(), 0, 'only the SENCO changes a provision')
        })

        /** Opens the register for a day from the provision page; returns the pupils' names shown. */
        const showRegister = async (on) => {
          await tp.getByRole('link', { name: 'Record a session for the group', exact: true }).click()
          await tp.waitForURL(url => url.pathname === `${provisionPath}/register`)
          assert.equal((await tp.locator('h1').innerText()).trim(), 'Record a session')
          const d = parts(on)
          await tp.getByLabel('Day', { exact: true }).fill(d.day)
          await tp.getByLabel('Month', { exact: true }).fill(d.month)
          await tp.getByLabel('Year', { exact: true }).fill(d.year)
          await tp.getByRole('button', { name: 'Show pupils', exact: true }).click()
          await tp.waitForURL(url => url.searchParams.get('day') === d.day && url.searchParams.get('month') === d.month)
          await tp.locator('#on-day').waitFor()
          assert.equal((await tp.locator('#on-day').innerText()).trim(), longDate(on))
          return (await tp.locator('form#register legend').allInnerTexts()).map(t => t.trim())
        }

        for (const [k, on] of dates.sessions.entries()) {
          const cancelled = CANCELLED.has(k)
          await step(tp, `${mode} teaching assistant records the session of ${longDate(on)}`, async () => {
            const names = await showRegister(on)
            assert.deepEqual([...names].sort(), pupils.map(p => p.name).sort(), `the register lists the three pupils on ${longDate(on)}`)
            for (const p of pupils) {
              const line = tp.getByRole('group', { name: p.name, exact: true })
              assert.ok(await line.getByLabel('Attended', { exact: true }).isChecked(), `${p.name} is "Attended" by default`)
              assert.equal(await line.getByLabel(`Minutes for ${p.name}`, { exact: true }).inputValue(), '30')
              if (cancelled) await line.getByLabel('Cancelled by the school', { exact: true }).check()
            }
            if (cancelled) await tp.getByLabel('Reason the school cancelled', { exact: true }).fill(CANCEL_REASON)
            if (k === 0) await a11y(tp, 'register')
            await tp.getByRole('button', { name: 'Save the session', exact: true }).click()
            await tp.waitForURL(url => url.pathname === provisionPath)
            assert.match(await successBanner(tp), /Session recorded for the group/)
            if (k === 0) await a11y(tp, 'page-after-register')
          })
        }

        await step(tp, `${mode} teaching assistant cannot record a day twice`, async () => {
          const first = dates.sessions[0]
          const open = await showRegister(first)
          assert.deepEqual(open, [], 'no pupil is offered for a day already recorded')
          const main = await tp.locator('main').innerText()
          for (const p of pupils) {
            assert.match(main, new RegExp(`${p.name}\\s+Recorded\\s+Attended, 30 min`),
              `${p.name}'s recorded session is shown:\n${main}`)
          }
          await tp.getByRole('button', { name: 'Save the session', exact: true }).click()
          const summary = await errorSummary(tp)
          assert.match(summary, /This day is already recorded for every pupil/,
            `the error says the day is already recorded:\n${summary}`)
          assert.equal(new URL(tp.url()).pathname, `${provisionPath}/register`)
          await a11y(tp, 'register-twice')
          // Nothing else changed: each pupil still has 4 of 6 sessions, 2 cancelled.
          await tp.goto(provisionPath)
          for (const p of pupils) {
            const row = tp.locator('tr', { has: tp.locator(`a[href="${p.allocationPath}"]`) })
            const cells = (await row.locator('td').allInnerTexts()).map(t => t.trim())
            assert.match(cells[2], /^4 of 6 \(66%\)\s*Shortfall$/, `${p.name}: 4 of 6 provided, a shortfall:\n${cells.join(' | ')}`)
            assert.equal(cells[3], '0', `${p.name}: no absences`)
            assert.equal(cells[4], '2', `${p.name}: 2 cancelled by the school`)
          }
        })

        // 4. The shortfall on the pupil's page (the SENCO's view) and the parent's view.
        const child = pupils[0]
        await step(page, `${mode} SENCO sees the shortfall on the pupil's page`, async () => {
          await page.goto(child.path)
          const row = rowWithLink(page, provisionName)
          const text = await row.innerText()
          assert.match(text, /4 of 6 \(66%\)/, `4 of 6 planned sessions provided:\n${text}`)
          assert.match(text, /Shortfall/)
          assert.match(await page.locator('main .govuk-warning-text').first().innerText(),
            /Less of this provision has been delivered than was planned\./)
          await a11y(page, 'pupil-shortfall')
        })

        await step(page, `${mode} SENCO sees the sessions on the allocation page`, async () => {
          await rowWithLink(page, provisionName).getByRole('link', { name: provisionName, exact: true }).click()
          await page.waitForURL(url => url.pathname === child.allocationPath)
          assert.equal((await page.locator('h1').innerText()).trim(), provisionName)
          const main = await page.locator('main').innerText()
          assert.match(main, /4 of 6 planned sessions so far provided \(66%\)/)
          assert.match(main, /Less of this provision has been delivered than was planned\./)
          const sessions = page.locator('table', { has: page.locator('caption', { hasText: 'Sessions recorded' }) }).locator('tbody tr')
          assert.equal(await sessions.count(), 6, 'six sessions recorded')
          const cancelledRows = sessions.filter({ hasText: 'Cancelled by the school' })
          assert.equal(await cancelledRows.count(), 2)
          assert.match(await cancelledRows.first().innerText(), new RegExp(CANCEL_REASON))
          assert.match(await sessions.first().innerText(), new RegExp(ta.name), 'recorded by the teaching assistant')
          await a11y(page, 'allocation')
        })

        await step(pp, `${mode} parent sees the provision and its shortfall`, async () => {
          await pp.goto('/')
          await pp.locator(`main a[href="${childPath}"]`).first().click()
          await pp.waitForURL(url => url.pathname === childPath)
          assert.equal((await pp.locator('h1').innerText()).trim(), childName)
          const row = rowWithLink(pp, provisionName)
          assert.equal(await row.count(), 1, `the parent sees ${provisionName}`)
          const text = await row.innerText()
          assert.match(text, /4 of 6 \(66%\)/, `the parent sees 4 of 6:\n${text}`)
          assert.match(text, /Shortfall/)
          const main = await pp.locator('main').innerText()
          assert.ok(!main.includes('£'), 'a parent sees no costs')
          assert.equal(await pp.getByRole('link', { name: 'Allocate to a provision' }).count(), 0)
          await a11y(pp, 'parent-child')
        })
        if (javaScriptEnabled) assertNoPageErrors(pp)

        // 5. Exit scores, then the impact report and the provision map.
        for (const [i, pupil] of pupils.entries()) {
          await step(page, `${mode} SENCO records pupil ${i + 1}'s exit score`, async () => {
            await page.goto(pupil.path)
            await rowWithLink(page, provisionName).getByRole('link', { name: provisionName, exact: true }).click()
            await page.waitForURL(url => url.pathname === pupil.allocationPath)
            await page.getByLabel('Exit score', { exact: true }).fill(String(pupil.exit))
            await fillDate(page, 'exit_on', exitOn)
            await page.getByRole('button', { name: 'Save', exact: true }).click()
            await page.waitForURL(url => url.pathname === pupil.allocationPath)
            assert.match(await successBanner(page), /Saved/)
            const main = await page.locator('main').innerText()
            assert.ok(main.includes(`Exit: ${pupil.exit} (${longDate(dates.end)})`), `the exit score is shown:\n${main}`)
            assert.ok(main.includes(`Gain: +${pupil.exit - pupil.entry}`), `the gain is shown:\n${main}`)
            assert.ok(main.includes(`${longDate(dates.start)} to ${longDate(dates.end)}`), 'the end date is unchanged')
            if (i === 0) await a11y(page, 'allocation-exit')
          })
        }

        await step(page, `${mode} the impact report`, async () => {
          await navLink(page, 'Provision').click()
          await page.waitForURL(url => url.pathname === '/provision')
          await page.getByRole('link', { name: 'Impact report', exact: true }).click()
          await page.waitForURL(url => url.pathname === '/provision/impact')
          assert.equal((await page.locator('h1').innerText()).trim(), 'Impact report')
          const row = rowWithLink(page, provisionName)
          assert.equal(await row.count(), 1, `the impact report has a row for ${provisionName}`)
          const cells = (await row.locator('td').allInnerTexts()).map(t => t.trim())
          assert.deepEqual(cells, [provisionName, 'reading age (Age in months)', '3', '+6.0', String(EXPECTED_GAIN), '1 of 3 (33%)'],
            'three pupils measured, average gain +6.0, one of three met the expected gain')
          await a11y(page, 'impact')
        })

        await step(page, `${mode} the provision map`, async () => {
          await page.getByRole('link', { name: 'Back to provision', exact: true }).click()
          await page.waitForURL(url => url.pathname === '/provision')
          await page.getByRole('link', { name: 'Provision map', exact: true }).click()
          await page.waitForURL(url => url.pathname === '/provision-map')
          assert.equal((await page.locator('h1').innerText()).trim(), 'Provision map')
          assert.equal((await page.locator('main .govuk-caption-l').innerText()).trim(), dates.schoolYear,
            'the map is of this school year')
          // Last school year's provision is not on this year's map; the demo's is, with costs.
          assert.equal(await page.locator('main table').getByRole('link', { name: provisionName, exact: true }).count(), 0,
            `${provisionName} ran last school year, so it is not on this year's map`)
          const map = page.locator('table', { has: page.locator('caption', { hasText: 'Provision by year group' }) })
          assert.ok(await map.locator('tbody tr').count() > 1, 'the map has the school\'s provision this year')
          assert.match(await map.innerText(), /£\d/, 'the map shows costs to the SENCO')
          assert.ok(await map.locator('tbody a[href^="/pupils/"]').count() > 0, 'the map lists pupils')
          const csvLink = page.getByRole('link', { name: 'Download the provision map (CSV)', exact: true })
          assert.match(await csvLink.getAttribute('href'), /^\/provision-map\.csv\?year=\d{4}$/)
          const response = await page.request.get(await csvLink.getAttribute('href'))
          assert.equal(response.status(), 200)
          assert.match(response.headers()['content-type'], /^text\/csv/)
          const csv = await response.text()
          const rows = parseCsv(csv)
          assert.deepEqual(rows[0], ['Provision', 'Area of need', 'Year group', 'Pupil', 'Cost'], 'the CSV has a header row')
          assert.ok(rows.length > 2, 'the CSV has a row per pupil per provision and a total')
          assert.ok(rows.slice(1, -1).every(r => r.length === 5 && /^£\d/.test(r[4])), 'every pupil\'s row has a cost')
          assert.equal(rows.at(-1)[0], 'Total')
          assert.ok(!rows.some(r => r[0] === provisionName), 'last school year\'s provision is not in this year\'s CSV')
          await a11y(page, 'map')
          // Last school year's map has this provision with the three pupils, and its CSV too.
          await page.getByRole('link', { name: /Previous school year/ }).click()
          await page.waitForURL(url => url.pathname === '/provision-map' && url.searchParams.get('year') === String(dates.lastYearStarts))
          assert.equal((await page.locator('main .govuk-caption-l').innerText()).trim(), dates.lastSchoolYear)
          const lastMap = page.locator('table', { has: page.locator('caption', { hasText: 'Provision by year group' }) })
          const ours = lastMap.locator('tbody tr', { has: page.getByRole('link', { name: provisionName, exact: true }) })
          assert.equal(await ours.count(), 1, `${provisionName} is on last school year's map`)
          const oursText = await ours.innerText()
          for (const p of pupils) assert.ok(oursText.includes(p.name), `${p.name} is on last year's map:\n${oursText}`)
          const lastCsv = parseCsv(await (await page.request.get(
            await page.getByRole('link', { name: 'Download the provision map (CSV)', exact: true }).getAttribute('href'))).text())
          assert.equal(lastCsv.filter(r => r[0] === provisionName).length, 3, 'three rows for the three pupils in last year\'s CSV')
          await a11y(page, 'map-last-year')
        })

        // 6. The educational psychologist: a referral with consent, accepted, and a report.
        let epName, involvementPath
        await step(page, `${mode} SENCO finds the educational psychologist`, async () => {
          await navLink(page, 'Specialists').click()
          await page.waitForURL(url => url.pathname === '/specialists')
          const row = page.locator('main tr', { has: page.locator('td', { hasText: new RegExp(`^\\s*${EP_AGENCY}\\s*$`) }) })
          assert.equal(await row.count(), 1, `the school works with the ${EP_AGENCY}`)
          const cells = (await row.locator('td').allInnerTexts()).map(t => t.trim())
          assert.equal(cells[1], 'Educational psychology')
          // "Name (role), email": the name alone.
          epName = cells[3].split('\n')[0].split(',')[0].replace(/\s*\([^)]*\)\s*$/, '').trim()
          assert.ok(epName, `the ${EP_AGENCY} has a person:\n${cells.join(' | ')}`)
          await a11y(page, 'specialists')
        })

        await step(page, `${mode} SENCO refers the child to the educational psychologist`, async () => {
          await page.goto(child.path)
          await page.getByRole('link', { name: 'Refer to an outside specialist', exact: true }).click()
          await page.waitForURL(url => url.pathname === `${child.path}/involvements/new`)
          assert.equal((await page.locator('h1').innerText()).trim(), 'Refer to an outside specialist')
          await a11y(page, 'referral-form')
          const today = londonToday()
          const near = [-1, 0, 1].map(n => parts(addDays(today, n))).map(d => `${d.day}/${d.month}/${d.year}`)
          const referralOn = {
            day: await page.inputValue('#referral_on-day'),
            month: await page.inputValue('#referral_on-month'),
            year: await page.inputValue('#referral_on-year')
          }
          assert.ok(near.includes(`${referralOn.day}/${referralOn.month}/${referralOn.year}`),
            `the referral date defaults to today, not ${JSON.stringify(referralOn)}`)
          await page.getByLabel('Agency', { exact: true }).selectOption({ label: `${EP_AGENCY} (Educational psychology)` })
          const person = page.getByLabel('Person (optional)', { exact: true })
          const people = (await person.locator('option').allInnerTexts()).map(t => t.trim())
          assert.ok(people.includes(`${epName} (${EP_AGENCY})`), `the psychologist ${JSON.stringify(epName)} can be chosen: ${JSON.stringify(people)}`)
          await person.selectOption({ label: `${epName} (${EP_AGENCY})` })
          await page.getByLabel('What the school is asking for', { exact: true })
            .fill('An assessment of reading and working memory: little progress despite small-group reading')
          await fillDate(page, 'consent_on', referralOn)
          await page.getByLabel('Given by', { exact: true }).fill("The child's mother")
          await page.getByRole('button', { name: 'Make the referral', exact: true }).click()
          await page.waitForURL(url => /^\/involvements\/[^/]+$/.test(url.pathname))
          assert.match(await successBanner(page), /Referral recorded/)
          involvementPath = new URL(page.url()).pathname
          assert.equal((await page.locator('h1').innerText()).trim(), `${epName}, ${EP_AGENCY}`)
          const status = page.locator('.govuk-summary-list__row', { has: page.locator('dt', { hasText: /^\s*Status\s*$/ }) })
          assert.equal((await status.locator('dd').innerText()).trim(), 'Requested')
          assert.match(await page.locator('main').innerText(), /The child's mother/)
          await a11y(page, 'involvement')
        })

        await step(page, `${mode} SENCO records that the referral was accepted`, async () => {
          await page.getByRole('group', { name: 'Status', exact: true }).getByLabel('Accepted', { exact: true }).check()
          await page.getByRole('button', { name: 'Save status and consent', exact: true }).click()
          await page.waitForURL(url => url.pathname === involvementPath)
          assert.match(await successBanner(page), /Status and consent saved/)
          const status = page.locator('.govuk-summary-list__row', { has: page.locator('dt', { hasText: /^\s*Status\s*$/ }) })
          assert.equal((await status.locator('dd').innerText()).trim(), 'Accepted')
          await a11y(page, 'involvement-accepted')
        })

        await step(page, `${mode} SENCO uploads the psychologist's report`, async () => {
          // A web page named .pdf is refused, and the title is kept.
          await page.getByLabel('Title', { exact: true }).fill(REPORT_TITLE)
          await page.getByLabel('File', { exact: true }).setInputFiles({ name: 'report.pdf', mimeType: 'application/pdf', buffer: NOT_A_PDF })
          await page.getByRole('button', { name: 'Upload the report', exact: true }).click()
          const summary = await errorSummary(page)
          assert.match(summary, /The selected file must be a PDF, Word document \(DOCX\), PNG or JPEG/, summary)
          assert.equal(await page.inputValue('#title'), REPORT_TITLE, 'the title is kept')
          assert.match(await page.locator('main').innerText(), /No reports yet\./)
          await a11y(page, 'involvement-upload-error')
          await page.getByLabel('File', { exact: true }).setInputFiles({ name: 'ep-report.pdf', mimeType: 'application/pdf', buffer: PDF })
          await page.getByRole('button', { name: 'Upload the report', exact: true }).click()
          await page.waitForURL(url => url.pathname === involvementPath)
          assert.match(await successBanner(page), /Report uploaded/)
          const report = page.locator('main table tr', { has: page.getByRole('link', { name: REPORT_TITLE, exact: true }) })
          assert.equal(await report.count(), 1, 'the report is listed')
          assert.match(await report.innerText(), /ep-report\.pdf/)
          assert.match(await report.innerText(), /Not shared/)
          await a11y(page, 'involvement-report')
        })

        // 7. The chronology.
        await step(page, `${mode} the chronology shows the referral and the report`, async () => {
          await page.getByRole('link', { name: "Back to the pupil's record", exact: true }).click()
          await page.waitForURL(url => url.pathname === child.path)
          const involvement = page.locator(`main a[href="${involvementPath}"]`)
          assert.equal(await involvement.count(), 1, 'the pupil\'s page lists the involvement')
          assert.match(await page.locator('main li', { has: page.locator(`a[href="${involvementPath}"]`) }).innerText(), /Accepted/)
          await page.getByRole('link', { name: 'View the chronology', exact: true }).click()
          await page.waitForURL(url => url.pathname === `${child.path}/chronology`)
          assert.equal((await page.locator('h1').innerText()).trim(), childName)
          const events = (await page.locator('main table tbody tr td:nth-child(2)').allInnerTexts()).map(t => t.trim())
          assert.ok(events.includes(`Referral to ${EP_AGENCY}`), `the chronology has the referral:\n${events.join('\n')}`)
          assert.ok(events.includes(`Report: ${REPORT_TITLE}`), `the chronology has the report:\n${events.join('\n')}`)
          await a11y(page, 'chronology')
        })
        if (javaScriptEnabled) {
          assertNoPageErrors(page)
          assertNoPageErrors(tp)
        }
      } finally {
        await context.close()
        await taContext?.close()
        await parentContext?.close()
      }
    })
  }
})
