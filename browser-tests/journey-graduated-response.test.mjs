// Journey (issue 3): a teacher raises a concern about a pupil they teach; the SENCO places
// the child on School Action and records that parents were told; later the SENCO moves
// the child to School Action Plus; the SEN register shows it. Run with JavaScript on (axe
// on every new page) and off.
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

describe('journey: the graduated response', () => {
  let senco

  before(async () => {
    senco = await startSenco()
  }, { timeout: 360_000 })

  after(async () => {
    await closeBrowser()
    await senco?.stop()
  })

  const modes = [true, false]
  modes.forEach((javaScriptEnabled, index) => {
    const mode = javaScriptEnabled ? 'JavaScript on' : 'JavaScript off'

    test(`concern, School Action, School Action Plus, register (${mode})`, { timeout: 240_000 }, async () => {
      const { teacher, senco: sencoAccount } = primaryStaff(senco.accounts)
      const a11y = async (page, label) => { if (javaScriptEnabled) await checkAccessibility(page, `${label}-js`) }
      const d = daysAgo(0)
      const weekAgo = daysAgo(7)

      // The teacher raises a concern.
      const teacherContext = await newBrowserContext({ javaScriptEnabled })
      const tp = await teacherContext.newPage()
      if (javaScriptEnabled) trackPageErrors(tp)
      let pupilPath, pupilName
      try {
        await step(tp, `${mode} teacher opens a pupil not on the SEN register`, async () => {
          await signIn(tp, teacher)
          await tp.getByRole('link', { name: 'Pupils', exact: true }).first().click()
          const hrefs = await tp.locator('table a[href^="/pupils/"]').evaluateAll(as => as.map(a => a.getAttribute('href')))
          assert.ok(hrefs.length > 0, 'the teacher sees the pupils they teach')
          // Each pass takes a different pupil who is not on the register yet.
          let skipped = 0
          for (const href of hrefs) {
            await tp.goto(href)
            const text = await tp.locator('main').innerText()
            if (!text.includes('Not on the SEN register')) continue
            if (skipped++ < index) continue
            pupilPath = href
            break
          }
          assert.ok(pupilPath, 'the teacher teaches a pupil who is not on the SEN register')
          pupilName = (await tp.locator('h1').first().innerText()).trim()
        })
        await step(tp, `${mode} teacher raises a concern`, async () => {
          await tp.getByRole('link', { name: 'Raise a concern' }).click()
          await a11y(tp, 'concern-form')
          await tp.getByRole('button', { name: 'Raise concern' }).click()
          assert.ok(await tp.locator('.govuk-error-summary').isVisible(), 'an empty concern shows the error summary')
          await tp.getByLabel('Cognition and learning').check()
          await tp.getByLabel('What has been tried already?').fill('Daily phonics in a small group since September')
          await tp.getByLabel('What happened?').fill('Reading age unchanged after six weeks')
          await tp.getByRole('button', { name: 'Raise concern' }).click()
          await tp.locator('.govuk-notification-banner').waitFor()
          assert.equal(new URL(tp.url()).pathname, pupilPath)
        })
        if (javaScriptEnabled) assertNoPageErrors(tp)
      } finally {
        await teacherContext.close()
      }

      // The SENCO places the child on School Action and records that parents were told.
      const context = await newBrowserContext({ javaScriptEnabled })
      const page = await context.newPage()
      if (javaScriptEnabled) trackPageErrors(page)
      try {
        await step(page, `${mode} SENCO triages the concern`, async () => {
          await signIn(page, sencoAccount)
          await a11y(page, 'senco-dashboard')
          await page.getByRole('link', { name: 'Concerns', exact: true }).first().click()
          await a11y(page, 'concerns')
          await page.locator('table').getByRole('link', { name: pupilName }).first().click()
          await a11y(page, 'concern')
          await page.getByLabel('Place the pupil on a stage').check()
          await page.getByLabel('New stage').selectOption({ label: 'School Action' })
          await page.fill('#effective_on-day', weekAgo.day)
          await page.fill('#effective_on-month', weekAgo.month)
          await page.fill('#effective_on-year', weekAgo.year)
          await page.getByLabel('Reason for the change').fill('Little progress despite targeted teaching')
          await page.getByLabel('At a meeting').check()
          await page.fill('#parents_told_on-day', d.day)
          await page.fill('#parents_told_on-month', d.month)
          await page.fill('#parents_told_on-year', d.year)
          await page.getByRole('button', { name: 'Save decision' }).click()
          await page.locator('.govuk-notification-banner').waitFor()
        })
        await step(page, `${mode} SENCO moves the child to School Action Plus`, async () => {
          await page.goto(pupilPath)
          assert.match(await page.locator('main').innerText(), /School Action/)
          await page.getByRole('link', { name: 'Record a change of stage' }).click()
          await a11y(page, 'stage-change-form')
          await page.getByLabel('New stage').selectOption({ label: 'School Action Plus' })
          await page.getByLabel('Reason for the change').fill('Still little progress at the review')
          await page.getByRole('button', { name: 'Save change' }).click()
          assert.ok(await page.locator('.govuk-error-summary').isVisible(), 'School Action Plus asks for the specialists')
          assert.match(await page.locator('.govuk-error-summary').innerText(), /outside specialists/)
          await page.getByLabel('Outside specialists involved').fill('Educational psychologist (referral made)')
          await page.getByLabel('By letter').check()
          await page.fill('#parents_told_on-day', d.day)
          await page.fill('#parents_told_on-month', d.month)
          await page.fill('#parents_told_on-year', d.year)
          await page.getByRole('button', { name: 'Save change' }).click()
          await page.locator('.govuk-notification-banner').waitFor()
          await a11y(page, 'pupil-with-sen')
        })
        await step(page, `${mode} the register shows the child on School Action Plus`, async () => {
          await page.goto('/register')
          await a11y(page, 'register')
          const row = page.locator('tr', { has: page.getByRole('link', { name: new RegExp(pupilName.split(' ').pop()) }) }).first()
          assert.match(await row.innerText(), /School Action Plus/)
        })
        if (javaScriptEnabled) assertNoPageErrors(page)
      } finally {
        await context.close()
      }
    })
  })
})
