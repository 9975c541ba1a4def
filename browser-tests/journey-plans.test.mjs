// Journey (issue 4): a plan from first draft to review. The SENCO of a primary school
// places a child on School Action, writes a plan whose quality checks flag vague wording,
// fixes it and saves it, agrees it with the parents and makes it active; a parent adds
// their views and their child's; the SENCO records the review (one target carried
// forward, the child moved up to School Action Plus) and lands on the next draft plan.
// Run with JavaScript on (axe on every new page, no page errors) and off, each pass on a
// different child.
//
// Which child: the demo data has no plans, and only a few parents have accounts. Rather
// than write a plan for a child no parent can see and prove the parent path on another
// child, each pass takes a child of a parent account of the SENCO's school (accounts with
// role "parent" and the same school_urn, in the order of the seed's JSON; children in the
// order of the parent's "Your children" list) who is "Not on the SEN register" and not
// used by an earlier pass (a parent whose contact record is restricted sees no children
// and is passed over). So the views the parent sends are on the very plan the SENCO
// reviews, and the review form shows them. The SENCO still reaches the child through the
// Pupils list (search by surname, then the link in the table).
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import {
  startSenco, newBrowserContext, closeBrowser, signIn, checkAccessibility,
  step, trackPageErrors, assertNoPageErrors
} from './lib/harness.mjs'

/** A teacher and the SENCO of the same primary school. */
function primaryStaff (accounts) {
  const teachers = accounts.filter(a => a.role === 'teacher' && /Primary/.test(a.school_name || ''))
  for (const teacher of teachers) {
    const senco = accounts.find(a => a.role === 'senco' && a.school_urn === teacher.school_urn)
    if (senco) return { teacher, senco }
  }
  throw new Error('the demo data has no primary school with a teacher and a SENCO')
}

function daysAgo (n) {
  const d = new Date(Date.now() - n * 86_400_000)
  return { day: String(d.getDate()), month: String(d.getMonth() + 1), year: String(d.getFullYear()) }
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

/** The stage shown in the SEN summary ("Stage" row) of a pupil page. */
async function currentStage (page) {
  const row = page.locator('.govuk-summary-list__row').filter({
    has: page.locator('dt', { hasText: /^\s*Stage\s*$/ })
  }).first()
  return (await row.locator('dd').innerText()).trim()
}

const VAGUE_STRATEGIES = 'Support with reading'
const FIXED_STRATEGIES = 'Reading with the TA, 15 minutes four times a week'
const TARGETS = [
  {
    area: 'Cognition and learning',
    text: 'Read the first 50 high-frequency words on sight',
    strategies: 'Flash cards for 10 minutes a day with the teaching assistant',
    success: 'Reads 45 of the 50 words correctly in two checks a week apart'
  },
  {
    area: 'Cognition and learning',
    text: 'Blend three-letter CVC words to read them',
    strategies: VAGUE_STRATEGIES,
    success: 'Reads 8 out of 10 unseen CVC words correctly'
  },
  {
    area: 'Cognition and learning',
    text: 'Recall number bonds to 10',
    strategies: 'Daily 5-minute number-bond game with a partner',
    success: 'Answers 10 out of 10 bonds to 10 within 3 seconds each'
  }
]

describe('journey: a plan from draft to review', () => {
  let senco
  /** Pupils already taken by a pass (by path), so that each pass has its own child. */
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

    test(`write, check, agree, add views and review a plan (${mode})`, { timeout: 240_000 }, async () => {
      const { senco: sencoAccount } = primaryStaff(senco.accounts)
      const parents = senco.accounts.filter(a => a.role === 'parent' && a.school_urn === sencoAccount.school_urn)
      assert.ok(parents.length > 0, `the demo data has no parent account at ${sencoAccount.school_name}`)
      const a11y = async (page, label) => { if (javaScriptEnabled) await checkAccessibility(page, `plans-${label}-js`) }
      const weekAgo = daysAgo(7)
      // The server's today (London), as it fills in the plan's start date; this machine's
      // clock may be on another day around midnight.
      let serverToday
      const parentViews = `We read together at bedtime most nights (${mode}).`
      const childViews = 'I like the word games but the long words are hard.'

      // The parent: signs in and finds a child of theirs who is not on the SEN register.
      // Their context stays open for step 4.
      let parentContext, pp, parent, childPath, childName
      for (const account of parents) {
        const context = await newBrowserContext({ javaScriptEnabled })
        const page = await context.newPage()
        if (javaScriptEnabled) trackPageErrors(page)
        await step(page, `${mode} parent ${account.email} lists their children`, async () => {
          await signIn(page, account)
          await page.getByRole('heading', { name: 'Your children', exact: true }).waitFor()
          const links = await page.locator('xpath=//h2[normalize-space()="Your children"]/following-sibling::ul[1]//a')
            .evaluateAll(as => as.map(a => ({ href: a.getAttribute('href'), name: a.textContent.trim() })))
          for (const link of links) {
            if (used.has(link.href)) continue
            await page.goto(link.href)
            if (!(await page.locator('main').innerText()).includes('Not on the SEN register')) continue
            childPath = link.href
            childName = link.name
            break
          }
        }).catch(async error => { await context.close(); throw error })
        if (childPath) {
          parentContext = context
          pp = page
          parent = account
          break
        }
        await context.close()
      }
      assert.ok(childPath, `no parent account at ${sencoAccount.school_name} has a child who is not on the SEN register`)
      used.add(childPath)
      const surname = childName.split(' ').pop()

      const context = await newBrowserContext({ javaScriptEnabled })
      const page = await context.newPage()
      if (javaScriptEnabled) trackPageErrors(page)
      let planPath, targetIds
      try {
        await step(pp, `${mode} parent's view of their child`, async () => {
          await pp.goto('/')
          await a11y(pp, 'parent-dashboard')
          await pp.goto(childPath)
          assert.equal((await pp.locator('h1').innerText()).trim(), childName)
          assert.match(await pp.locator('main').innerText(), /No plans yet\./)
          await a11y(pp, 'parent-child')
        })

        // 1. The SENCO finds the child through the Pupils list and places them on School Action.
        await step(page, `${mode} SENCO opens the child from the Pupils list`, async () => {
          await signIn(page, sencoAccount)
          await a11y(page, 'senco-dashboard')
          await page.getByRole('link', { name: 'Pupils', exact: true }).first().click()
          await page.waitForURL(url => url.pathname === '/pupils')
          await page.getByLabel('Name or UPN', { exact: true }).fill(surname)
          await page.getByRole('button', { name: 'Search', exact: true }).click()
          const link = page.locator(`table a[href="${childPath}"]`)
          await link.first().waitFor()
          await a11y(page, 'pupils-search')
          await link.first().click()
          await page.waitForURL(url => url.pathname === childPath)
          assert.equal((await page.locator('h1').innerText()).trim(), childName)
          assert.equal(await currentStage(page), 'Not on the SEN register')
          assert.equal(await page.getByRole('link', { name: 'Write a plan', exact: true }).count(), 0,
            'a child who is not on a stage cannot have a plan yet')
          await a11y(page, 'pupil-not-on-register')
        })

        await step(page, `${mode} SENCO records School Action`, async () => {
          await page.getByRole('link', { name: 'Record a change of stage' }).click()
          assert.equal((await page.locator('h1').innerText()).trim(), 'Record a change of stage')
          await a11y(page, 'stage-change-form')
          await page.getByLabel('New stage').selectOption({ label: 'School Action' })
          await fillDate(page, 'effective_on', weekAgo)
          await page.getByLabel('Reason for the change').fill('Reading age two years behind despite small-group phonics')
          await page.getByLabel('At a meeting').check()
          await fillDate(page, 'parents_told_on', weekAgo)
          await page.getByRole('button', { name: 'Save change' }).click()
          assert.match(await successBanner(page), /Stage change recorded/)
          assert.equal(new URL(page.url()).pathname, childPath)
          assert.match(await currentStage(page), /^School Action\b(?! Plus)/)
          await a11y(page, 'pupil-school-action')
        })

        // 2. A plan: three targets, one vague; checked, fixed, checked again, saved.
        await step(page, `${mode} SENCO writes a plan with a vague target`, async () => {
          await page.getByRole('link', { name: 'Write a plan', exact: true }).click()
          assert.equal((await page.locator('h1').innerText()).trim(), 'Write a plan')
          await a11y(page, 'plan-form')
          // The dates come filled in (today, and the latest review date allowed).
          for (const f of ['starts_on-day', 'starts_on-month', 'starts_on-year', 'review_on-day', 'review_on-month', 'review_on-year']) {
            assert.match(await page.inputValue(`#${f}`), /^\d+$/, `#${f} is filled in`)
          }
          serverToday = {
            day: await page.inputValue('#starts_on-day'),
            month: await page.inputValue('#starts_on-month'),
            year: await page.inputValue('#starts_on-year')
          }
          const near = [-1, 0, 1].map(n => daysAgo(n)).map(d => `${d.day}/${d.month}/${d.year}`)
          assert.ok(near.includes(`${serverToday.day}/${serverToday.month}/${serverToday.year}`),
            `the plan starts today by default, not ${JSON.stringify(serverToday)}`)
          await page.getByLabel('The nature of the difficulty').fill(
            'Finds it hard to blend sounds and to remember common words; short daily practice helps.')
          for (const [i, t] of TARGETS.entries()) {
            const n = i + 1
            await page.locator(`#target_${n}_area`).selectOption({ label: t.area })
            await page.fill(`#target_${n}_text`, t.text)
            await page.fill(`#target_${n}_strategies`, t.strategies)
            await page.fill(`#target_${n}_success`, t.success)
          }
          await page.getByRole('button', { name: 'Check the plan', exact: true }).click()
          const banner = page.locator('.govuk-notification-banner', { has: page.locator('#plan-checks-title') })
          await banner.waitFor()
          assert.equal((await banner.locator('.govuk-notification-banner__title').innerText()).trim(), 'Check the plan')
          const text = await banner.innerText()
          assert.match(text, /Vague wording "support with"/, `the checks flag "support with":\n${text}`)
          assert.equal(await banner.locator('a[href="#target_2_strategies"]').count(), 1,
            'the warning links to target 2\'s strategies')
          assert.equal(await banner.locator('a[href^="#target_1_"], a[href^="#target_3_"]').count(), 0,
            `only target 2 is flagged:\n${text}`)
          // Checking keeps everything typed.
          assert.equal(await page.inputValue('#target_2_strategies'), VAGUE_STRATEGIES)
          assert.equal(await page.inputValue('#target_3_text'), TARGETS[2].text)
          await a11y(page, 'plan-form-checks')
        })

        await step(page, `${mode} SENCO fixes the vague target and saves the plan`, async () => {
          await page.fill('#target_2_strategies', FIXED_STRATEGIES)
          await page.getByRole('button', { name: 'Check the plan', exact: true }).click()
          await page.locator('h1', { hasText: 'Write a plan' }).waitFor()
          assert.equal(await page.inputValue('#target_2_strategies'), FIXED_STRATEGIES)
          const banner = page.locator('.govuk-notification-banner', { has: page.locator('#plan-checks-title') })
          if (await banner.count() > 0) {
            const text = await banner.innerText()
            assert.doesNotMatch(text, /support with/, `the vague wording warning is gone:\n${text}`)
            assert.equal(await banner.locator('a[href="#target_2_strategies"]').count(), 0, text)
          }
          assert.equal(await page.locator('.govuk-error-summary').count(), 0, 'the plan has no errors')
          await page.getByRole('button', { name: 'Save plan', exact: true }).click()
          await page.waitForURL(url => url.pathname.startsWith('/plans/'))
          assert.match(await successBanner(page), /Plan saved/)
          planPath = new URL(page.url()).pathname
          assert.match((await page.locator('h1').innerText()).trim(), /^Individual education plan/i)
          const main = await page.locator('main').innerText()
          assert.match(main, /Draft/)
          for (const t of TARGETS) assert.ok(main.includes(t.text), `the plan shows the target "${t.text}"`)
          assert.ok(main.includes(FIXED_STRATEGIES), 'the plan has the fixed strategies')
          assert.ok(!main.includes(VAGUE_STRATEGIES), 'the vague strategies were not saved')
          await a11y(page, 'plan-draft')
        })

        // 3. Agreed with parents (when and how), then active.
        await step(page, `${mode} SENCO agrees the plan with parents`, async () => {
          await page.getByRole('button', { name: 'Change status', exact: true }).click()
          assert.match(await page.locator('.govuk-error-summary').innerText(), /Select the plan's new status/)
          await page.getByLabel('Agreed with parents', { exact: true }).check()
          await page.getByRole('button', { name: 'Change status', exact: true }).click()
          assert.match(await page.locator('.govuk-error-summary').innerText(), /how the plan was agreed/,
            'agreeing a plan asks when and how')
          await a11y(page, 'plan-status-error')
          await page.getByLabel('Agreed with parents', { exact: true }).check()
          await fillDate(page, 'agreed_on', serverToday)
          await page.getByLabel('How was it agreed?').selectOption({ label: 'At a meeting' })
          await page.getByRole('button', { name: 'Change status', exact: true }).click()
          assert.match(await successBanner(page), /Plan status changed/)
          assert.equal(new URL(page.url()).pathname, planPath)
          const status = await page.locator('.govuk-summary-list__row', { hasText: 'Status' }).first().innerText()
          assert.match(status, /Agreed with parents/)
          assert.match(status, /meeting/)
          await a11y(page, 'plan-agreed')
        })

        await step(page, `${mode} SENCO makes the plan active`, async () => {
          await page.getByLabel('Active', { exact: true }).check()
          await page.getByRole('button', { name: 'Change status', exact: true }).click()
          assert.match(await successBanner(page), /Plan status changed/)
          const status = await page.locator('.govuk-summary-list__row', { hasText: 'Status' }).first().innerText()
          assert.match(status, /Active/)
          assert.equal(await page.getByRole('link', { name: 'Record the review', exact: true }).count(), 1)
          await a11y(page, 'plan-active')
        })

        // 4. The parent sees the plan on their child's page and sends their views.
        await step(pp, `${mode} parent adds their views to the plan`, async () => {
          await pp.goto(childPath)
          const planLink = pp.locator(`main a[href="${planPath}"]`)
          await planLink.waitFor()
          assert.match(await pp.locator('main li', { has: pp.locator(`a[href="${planPath}"]`) }).innerText(), /Active/)
          await planLink.click()
          await pp.waitForURL(url => url.pathname === planPath)
          assert.match(await pp.locator('main').innerText(), /This is the plan the school has agreed for your child/)
          assert.equal(await pp.getByRole('button', { name: 'Change status' }).count(), 0, 'parents cannot change the status')
          await a11y(pp, 'parent-plan')
          await pp.getByRole('button', { name: 'Send your views', exact: true }).click()
          assert.match(await pp.locator('.govuk-error-summary').innerText(), /Enter your views/)
          await pp.getByLabel('Your views', { exact: true }).fill(parentViews)
          await pp.getByLabel("Your child's views (in their own words)", { exact: true }).fill(childViews)
          await pp.getByRole('button', { name: 'Send your views', exact: true }).click()
          assert.match(await successBanner(pp), /Thank you: your views were sent to the school/)
          const main = await pp.locator('main').innerText()
          assert.ok(main.includes(parentViews), 'the parent sees the views they sent')
          assert.ok(main.includes(`From ${parent.name}`), `the views are from ${parent.name}`)
          await a11y(pp, 'parent-views-sent')
        })
        if (javaScriptEnabled) assertNoPageErrors(pp)

        // 5. The review: outcomes, one unmet target carried forward, moved up a stage.
        await step(page, `${mode} SENCO records the review`, async () => {
          await page.goto(planPath)
          await page.getByRole('link', { name: 'Record the review', exact: true }).click()
          assert.equal((await page.locator('h1').innerText()).trim(), 'Record a review')
          assert.equal(await page.inputValue('#held_on-day'), serverToday.day, 'the meeting date defaults to today')
          assert.equal(await page.inputValue('#held_on-month'), serverToday.month)
          assert.equal(await page.inputValue('#held_on-year'), serverToday.year)
          const views = await page.locator('form .govuk-inset-text').allInnerTexts()
          assert.ok(views.some(v => v.includes(parent.name) && v.includes(parentViews) && v.includes(childViews)),
            `the review form shows the parent's views:\n${views.join('\n')}`)
          await a11y(page, 'review-form')
          targetIds = []
          for (const [i, t] of TARGETS.entries()) {
            const group = page.getByRole('group', { name: `Target ${i + 1}: ${t.text}` })
            const name = await group.locator('input[type="radio"]').first().getAttribute('name')
            assert.match(name, /^outcome_./)
            targetIds.push(name.slice('outcome_'.length))
          }
          const outcome = (n, label) => page.getByRole('group', { name: `Target ${n}: ${TARGETS[n - 1].text}` })
            .getByLabel(label, { exact: true })
          await outcome(1, 'Achieved').check()
          await outcome(2, 'Not achieved').check()
          await outcome(3, 'Partly achieved').check()
          await page.locator(`#carry-${targetIds[1]}`).check()
          await page.locator('#attended-parent').check()
          await page.locator('#attended-senco').check()
          await page.getByLabel('Summary of progress').fill('Knows 47 of the 50 words; number bonds to 10 mostly secure; blending not yet.')
          await page.getByLabel('Move up a stage', { exact: true }).check()
          await page.getByRole('button', { name: 'Save the review', exact: true }).click()
          // Moving up to School Action Plus needs the outside specialists.
          const summary = page.locator('.govuk-error-summary')
          await summary.waitFor()
          assert.match(await summary.innerText(), /specialist/i)
          assert.ok(await page.locator(`#carry-${targetIds[1]}`).isChecked(), 'the form keeps what was ticked')
          await a11y(page, 'review-form-error')
          await page.getByLabel('Outside specialists involved (needed when moving up to School Action Plus)')
            .fill('Educational psychologist (referral made); specialist teacher for literacy')
          await page.getByRole('button', { name: 'Save the review', exact: true }).click()
          await page.waitForURL(url => /^\/plans\/[^/]+\/edit$/.test(url.pathname))
        })

        await step(page, `${mode} the next plan carries the unmet target forward`, async () => {
          assert.notEqual(new URL(page.url()).pathname, `${planPath}/edit`, 'the review drafts a new plan')
          assert.equal((await page.locator('h1').innerText()).trim(), 'Change the plan')
          assert.match(await page.locator('main').innerText(), /School Action Plus/)
          assert.equal(await page.inputValue('#target_1_text'), TARGETS[1].text)
          assert.equal(await page.inputValue('#target_1_strategies'), FIXED_STRATEGIES)
          assert.equal(await page.inputValue('#target_2_text'), '', 'only the ticked target is carried forward')
          const tag = page.locator('#target-1 legend .govuk-tag')
          assert.ok(await tag.isVisible(), 'target 1 is tagged as carried forward')
          assert.equal((await tag.innerText()).trim(), 'Carried forward')
          await a11y(page, 'next-plan-form')
        })

        await step(page, `${mode} the pupil is on School Action Plus`, async () => {
          await page.goto(childPath)
          assert.match(await currentStage(page), /^School Action Plus/)
          const plans = await page.locator('main li', { has: page.locator('a[href^="/plans/"]') }).allInnerTexts()
          assert.equal(plans.length, 2, `the pupil has two plans:\n${plans.join('\n')}`)
          assert.ok(plans.some(p => /Closed/.test(p)), 'the reviewed plan is closed')
          assert.ok(plans.some(p => /Draft/.test(p)), 'the next plan is a draft')
          await a11y(page, 'pupil-school-action-plus')
        })
        if (javaScriptEnabled) assertNoPageErrors(page)
      } finally {
        await context.close()
        await parentContext?.close()
      }
    })
  }
})
